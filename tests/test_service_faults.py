"""Faults on the real stack: a pool process or a whole worker killed mid-batch, Redis down and back."""
from __future__ import annotations

import time

import pytest
import redis

from tests.test_service_integration import ORIGINAL_FORECAST, get, post, wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_worker_pool_killed_mid_batch_still_completes_every_plan(live_stack):
    plans = [{"id": f"k{i}", "current_capacity": 5000, "current_load": 900 + i} for i in range(1200)]
    job_id = post(live_stack, "/api/capacity/batch", {"plans": plans}).json()["job_id"]
    deadline = time.monotonic() + 60
    killed = []
    while not killed and time.monotonic() < deadline:
        if live_stack.worker_busy(0):         # its pool process is computing a chunk right now
            killed = live_stack.kill_worker_children(0)
    assert killed, "worker 0 never worked on the batch"
    job = wait_job(live_stack, job_id, timeout=180)
    assert "WorkerLostError" in live_stack.worker_log(0)   # the task was lost with the process, then redone
    assert job["status"] == "succeeded" and job["progress"] == {"done": 1200, "total": 1200}
    ids = [r["id"] for r in get(live_stack, f"/api/jobs/{job_id}/results?offset=0&limit=1000").json()["results"]]
    ids += [r["id"] for r in get(live_stack, f"/api/jobs/{job_id}/results?offset=1000&limit=1000").json()["results"]]
    assert ids == [f"k{i}" for i in range(1200)]
    live_stack.wait_healthy(live=2)


def test_redis_down_answers_503_then_recovers(live_stack):
    live_stack.stop_redis()
    try:
        reply = post(live_stack, "/api/forecast", ORIGINAL_FORECAST)
        assert reply.status == 503 and reply.headers["Retry-After"] == "1"
        assert reply.json()["error"]["code"] == "service_unavailable"
        health = live_stack.health()
        assert health.status == 503 and health.json()["status"] == "degraded"
        assert health.json()["redis"]["reachable"] is False
    finally:
        live_stack.start_redis()
    live_stack.wait_healthy(live=2)
    reply = post(live_stack, "/api/forecast", ORIGINAL_FORECAST)
    assert reply.status == 200, reply.body


def test_whole_worker_killed_mid_batch_its_chunks_come_back_after_the_visibility_timeout(live_stack):
    broker = redis.Redis.from_url(live_stack.redis_url)
    live_stack.kill_worker(0)                 # worker 1 alone takes the batch: it surely holds chunks
    try:
        plans = [{"id": f"w{i}", "current_capacity": 5000, "current_load": 700 + i} for i in range(1200)]
        job_id = post(live_stack, "/api/capacity/batch", {"plans": plans}).json()["job_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:    # freeze it while it holds a chunk, then kill it
            if get(live_stack, f"/api/jobs/{job_id}").json()["progress"]["done"]:
                live_stack.freeze_worker(1)
                if broker.hlen("unacked"):
                    break
                live_stack.freeze_worker(1, frozen=False)
            time.sleep(0.01)
        live_stack.kill_worker(1)             # main process and pool, mid-batch
        assert broker.hlen("unacked") >= 1    # it died holding chunks that nobody acknowledged
        live_stack.start_worker(0)
        job = wait_job(live_stack, job_id, timeout=150)
        assert job["status"] == "succeeded" and job["progress"] == {"done": 1200, "total": 1200}
        assert job["result"]["succeeded"] == 1200
    finally:
        for i, proc in enumerate(live_stack.worker_procs):
            if proc.poll() is not None:
                live_stack.start_worker(i)
        live_stack.wait_healthy(live=2)
