"""The consumer watchdog: an idle worker whose queues hold tasks for long enough is reconnected; nothing else is.

The stall itself (Redis SIGKILLed while a task runs) is reproduced on the real stack by
tests/test_service_faults_more.py; here the rule is checked on its own.
"""
from __future__ import annotations

from types import SimpleNamespace

import fakeredis
import pytest
import redis
from celery.worker import state

from capplan.config import load_settings
from jobs.queues import create_celery
from workers.consumer_watchdog import STALL_AFTER_S, ConsumerStalled, ConsumerWatchdog, StallClock, install


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_clock_counts_only_idle_time_with_tasks_waiting():
    clock = Clock()
    stall = StallClock(clock)
    assert stall.observe(busy=False, waiting=0) is None
    assert stall.observe(busy=False, waiting=3) == 0
    clock.now += 10
    assert stall.observe(busy=False, waiting=3) == 10
    assert stall.observe(busy=True, waiting=3) is None          # a task arrived: the stall is over
    clock.now += 30
    assert stall.observe(busy=False, waiting=3) == 0            # counted afresh


def _watchdog(waiting: int) -> tuple[ConsumerWatchdog, SimpleNamespace, Clock]:
    client = fakeredis.FakeRedis()
    if waiting:
        client.rpush("forecast", *[b"task"] * waiting)
    dog = ConsumerWatchdog.__new__(ConsumerWatchdog)
    clock = Clock()
    dog.client, dog.stall, dog.entry = client, StallClock(clock), None
    consumer = SimpleNamespace(task_consumer=SimpleNamespace(queues=[SimpleNamespace(name="forecast"),
                                                                       SimpleNamespace(name="batch")]))
    return dog, consumer, clock


def test_an_idle_worker_with_waiting_tasks_raises_a_broker_connection_error_after_the_stall_time():
    dog, consumer, clock = _watchdog(waiting=4)
    dog.check(consumer)
    clock.now += STALL_AFTER_S - 1
    dog.check(consumer)                                       # not yet
    clock.now += 1
    with pytest.raises(ConsumerStalled, match="4 tasks waited"):
        dog.check(consumer)
    assert issubclass(ConsumerStalled, redis.exceptions.ConnectionError)   # what Celery reconnects on


def test_a_busy_worker_or_empty_queues_are_never_a_stall(monkeypatch):
    dog, consumer, clock = _watchdog(waiting=0)
    for _ in range(5):
        dog.check(consumer)
        clock.now += STALL_AFTER_S
    dog, consumer, clock = _watchdog(waiting=4)
    monkeypatch.setattr(state, "reserved_requests", {object()})
    for _ in range(5):
        dog.check(consumer)
        clock.now += STALL_AFTER_S


def test_only_a_redis_broker_gets_the_watchdog():
    redis_app = create_celery(load_settings({"REDIS_URL": "redis://127.0.0.1:1/0"}))
    install(redis_app)
    assert ConsumerWatchdog in redis_app.steps["consumer"]
    amqp_app = create_celery(load_settings({"REDIS_URL": "redis://127.0.0.1:1/0",
                                            "BROKER_URL": "amqp://guest:guest@127.0.0.1:1//"}))
    install(amqp_app)
    assert ConsumerWatchdog not in amqp_app.steps["consumer"]
