"""A whole worker (main process and pool) SIGKILLed mid-batch, with each broker: every plan exactly once,
within two minutes, and with Redis without waiting for the broker's visibility timeout (12 minutes here).

Each broker gets a stack of its own with the default task limits, so only the recovery under test can
finish the batch in time; both are closed when this module ends.
"""
from __future__ import annotations

import json
import time

import pytest
import redis

from jobs.inflight import INFLIGHT_KEY
from tests.live_stack import LiveStack, http
from tests.test_service_integration import get, post, wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PLANS = 3000
BOUND_S = 120.0


def _stack(**fields) -> LiveStack:
    return LiveStack(workers=2, settings={"BATCH_CHUNK_SIZE": 150}, **fields).start()


@pytest.fixture(scope="module")
def redis_stack():
    stack = _stack()
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def rabbitmq_stack(rabbitmq_server):
    stack = _stack(broker_url=rabbitmq_server.url)
    try:
        yield stack
    finally:
        stack.close()


def _submit(stack: LiveStack, tag: str) -> str:
    plans = [{"id": f"{tag}{i}", "current_capacity": 5000, "current_load": 700 + i} for i in range(PLANS)]
    reply = post(stack, "/api/capacity/batch", {"plans": plans})
    assert reply.status == 202, reply.body
    return reply.json()["job_id"]


def _kill_mid_chunk(stack: LiveStack, job_id: str, holds_chunk) -> float:
    """SIGKILL worker 1 whole while ``holds_chunk()`` says it runs a chunk of the batch; the kill's time."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = get(stack, f"/api/jobs/{job_id}").json()["progress"]
        assert progress["done"] < progress["total"], "the batch finished before worker 1 took a chunk"
        if stack.worker_busy(1):
            stack.freeze_worker(1)             # nothing it holds can be acknowledged while we look
            if holds_chunk():
                stack.kill_worker(1)
                return time.monotonic()
            stack.freeze_worker(1, frozen=False)
    raise AssertionError("worker 1 never ran a chunk of the batch")


def _assert_every_plan_once(stack: LiveStack, job_id: str, tag: str, killed_at: float) -> float:
    job = wait_job(stack, job_id, timeout=BOUND_S)
    recovered_s = time.monotonic() - killed_at
    assert job["status"] == "succeeded" and job["progress"] == {"done": PLANS, "total": PLANS}
    assert job["result"]["succeeded"] == PLANS
    ids = []
    for offset in range(0, PLANS, 1000):
        page = get(stack, f"/api/jobs/{job_id}/results?offset={offset}&limit=1000").json()["results"]
        ids += [r["id"] for r in page]
    assert ids == [f"{tag}{i}" for i in range(PLANS)]     # in order, none missing, none twice
    assert recovered_s < BOUND_S
    return recovered_s


def test_redis_broker_a_killed_worker_s_chunk_is_republished_without_the_visibility_timeout(redis_stack):
    broker = redis.Redis.from_url(redis_stack.redis_url, decode_responses=True)
    job_id = _submit(redis_stack, "r")

    def holds_chunk() -> bool:       # jobs.inflight names the process that runs each chunk
        pids = {str(pid) for pid in redis_stack.worker_children(1)}
        return any(json.loads(raw)["process"].rsplit(":", 1)[1] in pids
                   for raw in broker.hvals(INFLIGHT_KEY))

    killed_at = _kill_mid_chunk(redis_stack, job_id, holds_chunk)
    recovered_s = _assert_every_plan_once(redis_stack, job_id, "r", killed_at)
    print(f"\nRedis broker: batch finished {recovered_s:.1f} s after its worker was SIGKILLed")
    # The broker's own copy of the chunk still waits for its visibility timeout: the republisher did it.
    assert broker.hlen("unacked") >= 1
    assert "republished the task of a dead worker process" in redis_stack.worker_log(0)


def test_rabbitmq_broker_a_killed_worker_s_chunk_returns_when_its_connection_drops(rabbitmq_stack):
    job_id = _submit(rabbitmq_stack, "q")
    # Busy means it runs a chunk, which (acks_late, prefetch 1) RabbitMQ holds unacknowledged for it.
    killed_at = _kill_mid_chunk(rabbitmq_stack, job_id, lambda: True)
    recovered_s = _assert_every_plan_once(rabbitmq_stack, job_id, "q", killed_at)
    print(f"\nRabbitMQ broker: batch finished {recovered_s:.1f} s after its worker was SIGKILLed")
    assert "republished" not in rabbitmq_stack.worker_log(0)   # nothing recorded, nothing republished
    assert not redis.Redis.from_url(rabbitmq_stack.redis_url).exists(INFLIGHT_KEY)
    metrics = http("GET", rabbitmq_stack.base_url + "/metrics").body.decode()
    assert 'capplan_queue_depth{queue="batch"} 0.0' in metrics        # read from RabbitMQ, not Redis
