"""The stall sweep on a real Redis: a running job with no progress for too long fails with "no progress",
and a sweep and a finishing or progressing job can never both win."""
from __future__ import annotations

import threading
import time


from capplan.config import load_settings
from jobs.stalls import LOCK_KEY, StallSweeper, no_progress_error
from jobs.store import RUNNING_KEY, JobStore

LIMIT_S = 100.0


def _running_batch(store: JobStore) -> str:
    job_id = store.create("batch", {}, total=4)
    assert store.start([job_id]) == [True]
    return job_id


def test_a_running_job_without_progress_fails_with_no_progress(store):
    stalled, fresh, queued = _running_batch(store), _running_batch(store), store.create("forecast", {})
    later = time.time() + LIMIT_S + 1
    store.redis.zadd(RUNNING_KEY, {fresh: later - 1})              # progressed a second ago
    assert StallSweeper(store, LIMIT_S).sweep(now=later) == [stalled]
    job = store.get(stalled)
    assert job["status"] == "failed" and job["finished_at"]
    assert job["error"] == {"code": "no_progress", "status": 504,
                            "message": "the job made no progress for 100 seconds and was stopped"}
    assert store.get(fresh)["status"] == "running" and store.get(queued)["status"] == "queued"
    assert store.redis.zrange(RUNNING_KEY, 0, -1) == [fresh]


def test_stored_chunk_results_are_progress(store):
    job_id = _running_batch(store)
    started = store.redis.zscore(RUNNING_KEY, job_id)
    time.sleep(0.01)
    store.save_plan_results(job_id, 0, {0: {"index": 0, "success": True}})
    progressed = store.redis.zscore(RUNNING_KEY, job_id)
    assert progressed > started
    assert store.fail_stalled(LIMIT_S, no_progress_error(LIMIT_S), now=progressed + LIMIT_S - 1) == []
    assert store.fail_stalled(LIMIT_S, no_progress_error(LIMIT_S), now=progressed + LIMIT_S + 1) == [job_id]


def test_another_chunk_starting_is_not_progress(store):
    job_id = _running_batch(store)
    started = store.redis.zscore(RUNNING_KEY, job_id)
    time.sleep(0.01)
    assert store.start([job_id]) == [True]                          # a redelivered chunk, say
    assert store.redis.zscore(RUNNING_KEY, job_id) == started


def test_a_finished_or_cancelled_job_leaves_the_index_and_is_never_swept(store):
    done, cancelled, failed_first = _running_batch(store), _running_batch(store), _running_batch(store)
    assert store.finish_many([(done, "succeeded", {"ok": True})]) == [True]
    store.cancel(cancelled)
    assert store.redis.zcard(RUNNING_KEY) == 1
    far = time.time() + 10 * LIMIT_S
    assert store.fail_stalled(LIMIT_S, no_progress_error(LIMIT_S), now=far) == [failed_first]
    assert store.finish_many([(failed_first, "succeeded", {"late": True})]) == [False]   # the sweep won
    store.save_plan_results(failed_first, 1, {})                                           # a late chunk
    assert store.redis.zcard(RUNNING_KEY) == 0 and store.get(failed_first)["status"] == "failed"
    assert store.get(done)["status"] == "succeeded" and store.get(cancelled)["status"] == "cancelled"


def test_a_job_that_finishes_after_the_candidates_are_read_stays_finished(store, monkeypatch):
    job_id = _running_batch(store)
    read_candidates = store.redis.zrangebyscore

    def finish_meanwhile(*args, **kwargs):
        found = read_candidates(*args, **kwargs)
        store.finish_many([(job_id, "succeeded", {"ok": True})])      # between the read and the sweep
        return found

    monkeypatch.setattr(store.redis, "zrangebyscore", finish_meanwhile)
    assert store.fail_stalled(LIMIT_S, no_progress_error(LIMIT_S), now=time.time() + 2 * LIMIT_S) == []
    assert store.get(job_id)["status"] == "succeeded"


def test_an_expired_job_leaves_the_index(store):
    job_id = _running_batch(store)
    store.redis.delete(store.key(job_id))
    assert store.fail_stalled(LIMIT_S, no_progress_error(LIMIT_S), now=time.time() + 2 * LIMIT_S) == []
    assert store.redis.zcard(RUNNING_KEY) == 0


def test_one_process_sweeps_per_period_and_a_waiting_request_hears_why(store):
    job_id = store.create("analysis", {})
    store.start([job_id])
    heard = []
    waiter = threading.Thread(target=lambda: heard.append(store.wait(job_id, 5)))
    waiter.start()
    sweepers = [StallSweeper(store, LIMIT_S, every_s=30) for _ in range(3)]
    later = time.time() + 2 * LIMIT_S
    assert [s.sweep_if_due(now=later) for s in sweepers] == [[job_id], [], []]
    assert 0 < store.redis.ttl(LOCK_KEY) <= 30
    waiter.join(5)
    assert heard == [{"status": "failed", "error": no_progress_error(LIMIT_S)}]


def test_the_limit_outlasts_a_lost_task_coming_back_and_running_again():
    settings = load_settings({"TASK_TIME_LIMIT": 360, "TASK_SOFT_TIME_LIMIT": 300})
    assert settings.no_progress_timeout > settings.visibility_timeout + settings.TASK_TIME_LIMIT
    assert settings.no_progress_timeout == 1140


def test_each_worker_heartbeat_offers_to_sweep(store, redis_server, monkeypatch):
    from workers import model_holder

    job_id = _running_batch(store)
    store.redis.zadd(RUNNING_KEY, {job_id: 0})                        # no progress since 1970
    monkeypatch.setattr(model_holder.Heartbeat, "record", lambda self: {"model": {}})
    swept = []
    heartbeat = model_holder.Heartbeat(load_settings({"REDIS_URL": redis_server.url}), ["batch"],
                                       on_swept=swept.extend)
    heartbeat.start()
    deadline = time.monotonic() + 5
    while not swept and time.monotonic() < deadline:
        time.sleep(0.02)
    heartbeat.stopped.set()
    heartbeat.join(5)
    assert store.get(job_id)["error"]["code"] == "no_progress"
    assert swept == [job_id]


def test_a_swept_job_tells_its_notify_targets(store, monkeypatch):
    from workers import tasks

    told, plain = store.create("batch", {"notify": ["ops", "main"]}, total=4), _running_batch(store)
    assert store.start([told]) == [True]
    sent = []
    monkeypatch.setattr(tasks, "_job_store", lambda: store)
    monkeypatch.setattr(tasks, "_send_delivery", lambda job_id, target: sent.append((job_id, target)))
    sweeper = StallSweeper(store, LIMIT_S, on_failed=tasks._announce_swept)
    assert sorted(sweeper.sweep(now=time.time() + LIMIT_S + 1)) == sorted([told, plain])
    assert sent == [(told, "ops"), (told, "main")]                   # the job without targets tells nobody
    assert store.get(told)["notifications"][0]["status"] == "queued"
