"""More faults on the real stack (issue 23): Redis SIGKILLed and restarted from its append-only file, a
worker's warm shutdown mid-batch, and a task past its hard time limit.

Each test starts a small stack of its own, with the settings its fault needs, and closes it.
"""
from __future__ import annotations

import re
import time

import pytest
import redis

from jobs.inflight import INFLIGHT_KEY
from tests.live_stack import LiveStack
from tests.test_service_integration import ORIGINAL_FORECAST, get, post, wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _plans(tag: str, n: int) -> list[dict]:
    return [{"id": f"{tag}{i}", "current_capacity": 5000, "current_load": 700 + i} for i in range(n)]


def _result_ids(stack: LiveStack, job_id: str, total: int) -> list[str]:
    ids = []
    for offset in range(0, total, 1000):
        page = get(stack, f"/api/jobs/{job_id}/results?offset={offset}&limit=1000").json()["results"]
        ids += [r["id"] for r in page]
    return ids


def _stack(workers: int = 1, **fields) -> LiveStack:
    return LiveStack(workers=workers, **fields)


def test_redis_killed_and_restarted_from_its_append_only_file_loses_no_acknowledged_job():
    stack = _stack(workers=1, redis_appendonly=True, settings={"BATCH_CHUNK_SIZE": 100})
    try:
        stack.start()
        acknowledged = []
        for i in range(30):
            reply = post(stack, "/api/forecast", {**ORIGINAL_FORECAST, "current_load": 900 + i},
                         Prefer="respond-async")
            assert reply.status == 202, reply.body
            acknowledged.append(reply.json()["job_id"])
        reply = post(stack, "/api/capacity/batch", {"plans": _plans("a", 600)})
        assert reply.status == 202, reply.body
        batch_id = reply.json()["job_id"]
        stack.kill_redis()                    # no shutdown: only what appendfsync=always wrote survives
        time.sleep(1.0)                       # the worker and the API see it gone
        stack.start_redis()                   # same port, same dir: it replays the append-only file
        stack.wait_healthy(timeout=60, live=1)
        for job_id in acknowledged:
            job = wait_job(stack, job_id, timeout=60)
            assert job["status"] == "succeeded", job
        batch = wait_job(stack, batch_id, timeout=120)
        assert batch["status"] == "succeeded" and batch["progress"] == {"done": 600, "total": 600}, batch
        assert _result_ids(stack, batch_id, 600) == [f"a{i}" for i in range(600)]
        assert post(stack, "/api/forecast", ORIGINAL_FORECAST).status == 200
    finally:
        stack.close()


def test_a_worker_s_warm_shutdown_mid_batch_finishes_its_chunk_and_the_batch_completes_once():
    plans = 1200
    stack = _stack(workers=1, settings={"BATCH_CHUNK_SIZE": 150})
    try:
        stack.start()
        broker = redis.Redis.from_url(stack.redis_url, decode_responses=True)
        job_id = post(stack, "/api/capacity/batch", {"plans": _plans("s", plans)}).json()["job_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not broker.hlen(INFLIGHT_KEY):
            time.sleep(0.01)                  # jobs.inflight: a chunk runs now
        assert broker.hlen(INFLIGHT_KEY), "the worker never started a chunk"
        running = broker.hkeys(INFLIGHT_KEY)
        assert stack.stop_worker(0) == 0      # warm shutdown: the running chunk ends, then the process
        progress = get(stack, f"/api/jobs/{job_id}").json()["progress"]
        assert 0 < progress["done"] < plans, progress  # it finished its chunk, and only that
        assert not set(running) & set(broker.hkeys(INFLIGHT_KEY))   # ended, not left to be republished
        stack.start_worker(0)
        job = wait_job(stack, job_id, timeout=120)
        assert job["status"] == "succeeded" and job["progress"] == {"done": plans, "total": plans}, job
        assert job["result"]["succeeded"] == plans
        assert _result_ids(stack, job_id, plans) == [f"s{i}" for i in range(plans)]
        assert "republished" not in stack.worker_log(0)
    finally:
        stack.close()


def test_a_task_past_its_time_limit_fails_its_job_with_the_reason_and_is_not_run_again():
    plans = 3000
    stack = _stack(workers=1, settings={"BATCH_CHUNK_SIZE": plans, "TASK_TIME_LIMIT": 2,
                                        "TASK_SOFT_TIME_LIMIT": 1})
    try:
        stack.start()
        started = time.monotonic()
        job_id = post(stack, "/api/capacity/batch", {"plans": _plans("t", plans)}).json()["job_id"]
        job = wait_job(stack, job_id, timeout=60)
        assert time.monotonic() - started < 60
        assert job["status"] == "failed", job
        assert job["error"]["code"] == "timeout" and "time limit" in job["error"]["message"], job
        # Longer than jobs.inflight takes to republish a dead process's task (ORPHAN_AFTER_S, then a sweep).
        time.sleep(30)
        assert get(stack, f"/api/jobs/{job_id}").json() == job          # final, and it stays so
        log = stack.worker_log(0)
        # Celery logs one line per execution that reaches a limit: one execution, stopped by its soft limit.
        assert len(re.findall(r'"message": "Soft time limit \(1s\) exceeded', log)) == 1, log[-4000:]
        assert "Hard time limit" not in log, log[-4000:]
        assert "republished" not in log, log[-4000:]
        assert not redis.Redis.from_url(stack.redis_url).hlen(INFLIGHT_KEY)
        stack.wait_healthy(timeout=30, live=1)
    finally:
        stack.close()


def test_a_task_stopped_by_its_hard_time_limit_alone_fails_its_job_with_the_reason_and_is_not_run_again():
    """No soft limit: the pool process is killed at the hard one, and the main process records why."""
    plans = 3000
    stack = _stack(workers=1, settings={"BATCH_CHUNK_SIZE": plans, "TASK_TIME_LIMIT": 2,
                                        "TASK_SOFT_TIME_LIMIT": 0})
    try:
        stack.start()
        job_id = post(stack, "/api/capacity/batch", {"plans": _plans("h", plans)}).json()["job_id"]
        job = wait_job(stack, job_id, timeout=60)
        assert job["status"] == "failed", job
        assert job["error"]["code"] == "timeout" and "hard time limit" in job["error"]["message"], job
        time.sleep(30)                         # longer than a sweep takes to republish a dead process's task
        assert get(stack, f"/api/jobs/{job_id}").json() == job
        log = stack.worker_log(0)
        assert len(re.findall(r'"message": "Hard time limit \(2s\) exceeded', log)) == 1, log[-4000:]
        assert "republished" not in log, log[-4000:]
        assert not redis.Redis.from_url(stack.redis_url).hlen(INFLIGHT_KEY)
        stack.wait_healthy(timeout=60, live=1)
        assert post(stack, "/api/forecast", ORIGINAL_FORECAST).status == 200     # the new pool process serves
    finally:
        stack.close()
