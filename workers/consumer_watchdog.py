"""Restart a worker's consumer that stops taking tasks after Redis comes back (Celery with the Redis broker).

When Redis dies while a task runs, the acknowledgement that follows can fail inside Celery, and the
consumer may then wait on a connection that no longer exists: tasks pile up in Redis while the worker
sits idle and its pool keeps beating (celery/celery#8030, #9054, #10302). This consumer step watches
for exactly that state, an idle worker while its own queues hold tasks for STALL_AFTER_S, and raises a
broker connection error from the consumer's timer: Celery then does what it does for any lost
connection, reconnects and consumes again. A worker that is busy, or whose queues are empty, is
never touched. RabbitMQ needs none of this: its connection drop is seen by the broker and the worker.
"""
from __future__ import annotations

import logging
import time

import redis
from celery import bootsteps
from celery.worker import state

log = logging.getLogger("capplan.worker")
CHECK_EVERY_S = 5.0
STALL_AFTER_S = 15.0


class ConsumerStalled(redis.exceptions.ConnectionError):
    """Raised from the consumer's timer: one of the broker's connection errors, so Celery reconnects."""


class StallClock:
    """How long the worker has sat idle while tasks waited for it; None while it works or nothing waits."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.since: float | None = None

    def observe(self, busy: bool, waiting: int) -> float | None:
        if busy or waiting <= 0:
            self.since = None
            return None
        now = self.clock()
        if self.since is None:
            self.since = now
        return now - self.since


class ConsumerWatchdog(bootsteps.StartStopStep):
    """A consumer step (app.steps["consumer"]) that reconnects a consumer found stalled."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.entry = None
        self.client: redis.Redis | None = None
        self.stall = StallClock()

    def start(self, c) -> None:
        self.client = redis.Redis.from_url(c.app.conf.broker_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.stall = StallClock()
        self.entry = c.timer.call_repeatedly(CHECK_EVERY_S, self.check, (c,), priority=10)

    def stop(self, c) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None
        if self.client is not None:
            self.client.close()

    def check(self, c) -> None:
        busy = bool(state.reserved_requests)
        try:
            waiting = 0 if busy else sum(self.client.llen(q.name) for q in c.task_consumer.queues)
        except redis.exceptions.RedisError:
            return                     # Redis itself is away: the consumer's own error handling is at work
        stalled = self.stall.observe(busy, waiting)
        if stalled is not None and stalled >= STALL_AFTER_S:
            self.stall = StallClock()
            log.warning("the consumer took no task while tasks waited: reconnecting to the broker",
                        extra={"waiting": waiting, "idle_s": round(stalled, 1)})
            raise ConsumerStalled(f"{waiting} tasks waited {stalled:.0f} s for an idle worker")


def install(app) -> None:
    """Add the watchdog to a worker app whose broker is Redis."""
    if str(app.conf.broker_url).startswith(("redis://", "rediss://")):
        app.steps["consumer"].add(ConsumerWatchdog)
