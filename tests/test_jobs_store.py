"""JobStore on a real Redis (its status changes are Lua scripts, which fakeredis would not run)."""
from __future__ import annotations

import threading

import pytest
import redis as redis_lib

from jobs.store import IdempotencyConflict, JobStore, new_job_id, redis_from_url


def test_lifecycle_queued_running_succeeded(store):
    job_id = store.create("forecast", {"hours_ahead": 3}, request_id="r1")
    assert store.get(job_id)["status"] == "queued"
    assert store.load([job_id])[0]["request"] == {"hours_ahead": 3}
    assert store.start([job_id]) == [True]
    assert store.get(job_id)["status"] == "running"
    store.finish_many([(job_id, "succeeded", {"success": True, "x": 1})])
    job = store.get(job_id)
    assert job["status"] == "succeeded" and job["result"] == {"success": True, "x": 1}
    assert job["progress"] == {"done": 1, "total": 1} and job["finished_at"] >= job["started_at"]
    assert 0 < store.redis.ttl(store.key(job_id)) <= 60


def test_finish_is_once_and_never_overwrites_a_cancel(store):
    job_id = store.create("forecast", {})
    assert store.cancel(job_id) == (True, "cancelled")
    assert store.start([job_id]) == [False]
    store.finish_many([(job_id, "succeeded", {"late": True})])
    job = store.get(job_id)
    assert job["status"] == "cancelled" and "result" not in job
    assert store.cancel(job_id) == (False, "cancelled")
    assert store.cancel("missing") == (False, "")


def test_wait_wakes_on_finish_and_times_out_otherwise(store):
    job_id = store.create("forecast", {})
    assert store.wait(job_id, 0.1) is None
    threading.Timer(0.05, lambda: store.finish_many([(job_id, "failed", {"code": "x", "status": 500})])).start()
    done = store.wait(job_id, 5)
    assert done == {"status": "failed", "error": {"code": "x", "status": 500}}


def test_expired_and_never_issued_are_told_apart(store):
    job_id = store.create("forecast", {})
    store.redis.delete(store.key(job_id))
    assert store.get(job_id) is None and store.was_issued(job_id) is True
    assert store.was_issued("never") is False


def test_idempotency_key(store):
    assert store.claim_idempotency_key("k", {"a": 1, "b": 2}, "job-1") is None
    assert store.claim_idempotency_key("k", {"b": 2, "a": 1}, "job-2") == "job-1"   # key order is irrelevant
    with pytest.raises(IdempotencyConflict) as e:
        store.claim_idempotency_key("k", {"a": 1}, "job-3")
    assert e.value.job_id == "job-1"


def test_batch_results_page_in_plan_order_and_count_chunks(store):
    job_id = store.create("batch", {}, total=5)
    pipe = store.redis.pipeline()
    store.store_chunks(job_id, [{"offset": 0, "plans": [1, 2, 3]}, {"offset": 3, "plans": [4, 5]}], pipe)
    pipe.execute()
    assert store.load_chunk(job_id, 1) == {"offset": 3, "plans": [4, 5]}
    assert store.save_plan_results(job_id, 1, {3: {"i": 3}, 4: {"i": 4}}) == 1
    assert store.get(job_id)["progress"] == {"done": 2, "total": 5}
    assert store.save_plan_results(job_id, 1, {3: {"i": 3}, 4: {"i": 4}}) == 1     # a redelivered chunk
    assert store.save_plan_results(job_id, 0, {i: {"i": i} for i in range(3)}) == 2
    assert [r["i"] for r in store.plan_results(job_id)] == [0, 1, 2, 3, 4]
    assert [r["i"] for r in store.plan_results(job_id, 1, 2)] == [1, 2]
    assert store.plan_results(job_id, 5, 10) == []


def test_client_fails_fast_when_redis_is_down():
    from tests.redis_server import free_port

    client = redis_from_url(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(redis_lib.exceptions.ConnectionError):
        client.ping()


def test_a_job_never_shown_expires_soon_after_it_finishes(store):
    from jobs.store import SEEN_NEVER_TTL_S

    store = JobStore(store.redis, ttl=3600)
    unseen = store.create("forecast", {}, shown=False)
    shown_later = store.create("forecast", {}, shown=False)
    store.show(shown_later)                       # its wait ran out: the client got the id with a 202
    store.finish_many([(unseen, "succeeded", {}), (shown_later, "succeeded", {})])
    assert 0 < store.redis.ttl(store.key(unseen)) <= SEEN_NEVER_TTL_S
    assert not store.was_issued(unseen)
    assert store.redis.ttl(store.key(shown_later)) > SEEN_NEVER_TTL_S and store.was_issued(shown_later)


def test_a_job_id_never_starts_with_a_dash_which_a_command_line_reads_as_an_option():
    ids = {new_job_id() for _ in range(5000)}          # with one in 64 starting with "-", ~78 would
    assert len(ids) == 5000 and not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)
