"""jobs.inflight on a real Redis: tasks of processes without a live heartbeat are republished once."""
from __future__ import annotations

import pytest

from jobs import heartbeats, inflight
from jobs.store import redis_from_url


@pytest.fixture
def client(redis_server):
    c = redis_from_url(redis_server.url)
    c.flushdb()
    return c


def _sender(sent: list):
    return lambda task, args, queue, task_id: sent.append((task, args, queue, task_id))


def test_a_dead_process_s_task_is_republished_once_under_its_task_id(client):
    heartbeats.publish(client, "host:1", {"id": "host:1"})          # alive
    inflight.record(client, "t-live", "host:1", "capplan.run_batch_chunk", ["job", 0, 2], "batch", now=0)
    inflight.record(client, "t-dead", "host:2", "capplan.run_batch_chunk", ["job", 1, 2], "batch", now=0)
    sent = []
    assert inflight.sweep(client, _sender(sent)) == ["t-dead"]
    assert sent == [("capplan.run_batch_chunk", ["job", 1, 2], "batch", "t-dead")]
    client.delete(inflight.LOCK_KEY)                                # the next sweep's turn
    assert inflight.sweep(client, _sender(sent)) == [] and len(sent) == 1
    assert set(client.hkeys(inflight.INFLIGHT_KEY)) == {"t-live"}


def test_only_one_sweep_runs_per_interval_and_a_young_task_waits_for_its_first_heartbeat(client):
    inflight.record(client, "t-new", "host:3", "capplan.run_jobs", [["a"]], "interactive")
    sent = []
    assert inflight.sweep(client, _sender(sent)) == []             # started just now: its model may be loading
    inflight.record(client, "t-new", "host:3", "capplan.run_jobs", [["a"]], "interactive", now=0)
    assert inflight.sweep(client, _sender(sent)) == []             # the lock: another worker swept just now
    client.delete(inflight.LOCK_KEY)
    assert inflight.sweep(client, _sender(sent)) == ["t-new"]


def test_a_task_that_cannot_be_sent_stays_for_the_next_sweep(client):
    inflight.record(client, "t", "host:4", "capplan.run_jobs", [["a"]], "forecast", now=0)

    def broken(*_args):
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        inflight.sweep(client, broken)
    assert client.hexists(inflight.INFLIGHT_KEY, "t")


def test_forget_leaves_a_record_that_another_process_took_over(client):
    inflight.record(client, "t", "host:5", "capplan.run_jobs", [["a"]], "forecast")
    inflight.forget(client, "t", "host:6")                          # a stale run ending late
    assert client.hexists(inflight.INFLIGHT_KEY, "t")
    inflight.forget(client, "t", "host:5")
    assert not client.hexists(inflight.INFLIGHT_KEY, "t")
