"""Fair use under a flood (real Redis, real workers, gunicorn): what a client waits for is not held up.

A dedicated small stack: one worker process for the interactive queue, one for analyses and batches, and
gunicorn with 8 threads of which at most 4 wait for results. Bounds are generous (2 shared cores);
benchmarks/bench_fairness.py prints the real figures.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_lib

from jobs.queues import FORECAST_QUEUE, WORKER_QUEUES
from tests.live_stack import LiveStack, http

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
ANALYSIS = {**FORECAST, "hours_ahead": 168, "current_capacity": 5000}
FLOOD = 400               # analyses; each is its own task of ~15-30 ms on the bulk worker
SYNC_BOUND_S = 3.0        # a sync forecast behind the flood would take the whole backlog (many seconds)
QUICK_BOUND_S = 1.0       # health and job polls; about 10 ms unloaded


@pytest.fixture(scope="module")
def fair_stack():
    stack = LiveStack(workers=2, queues=tuple(",".join(WORKER_QUEUES[k]) for k in ("interactive", "bulk")),
                      gunicorn_threads=8, settings={"SYNC_MAX_WAITING": 4, "SYNC_WAIT_S": 20})
    try:
        yield stack.start()
    finally:
        stack.close()


def timed(method: str, url: str, body=None, headers=None):
    started = time.perf_counter()
    reply = http(method, url, body, headers, timeout=60)
    return reply, time.perf_counter() - started


def flood(base: str, count: int) -> list[str]:
    """``count`` async analyses from 8 client threads; their job ids."""
    def one(_):
        reply = http("POST", base + "/api/capacity/analyze", ANALYSIS, {"Prefer": "respond-async"}, timeout=60)
        assert reply.status == 202, reply.body
        return reply.json()["job_id"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def test_sync_forecasts_answer_200_quickly_behind_a_flood_of_analyses(fair_stack):
    base = fair_stack.base_url
    jobs = flood(base, FLOOD)
    backlog = redis_lib.Redis.from_url(fair_stack.redis_url).llen(FORECAST_QUEUE)
    assert backlog >= 50, f"the flood was drained before it could hold anything up ({backlog} left)"
    for _ in range(5):
        reply, took = timed("POST", base + "/api/forecast", FORECAST)
        assert reply.status == 200 and took < SYNC_BOUND_S, (reply.status, took)
        _, health_took = timed("GET", base + "/api/health")
        _, poll_took = timed("GET", f"{base}/api/jobs/{jobs[-1]}")
        assert health_took < QUICK_BOUND_S and poll_took < QUICK_BOUND_S, (health_took, poll_took)
    deadline = time.monotonic() + 120
    while http("GET", f"{base}/api/jobs/{jobs[-1]}").json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "the flood did not finish"
        time.sleep(0.5)


def test_health_and_polls_answer_while_requests_wait_on_a_frozen_interactive_worker(fair_stack):
    base = fair_stack.base_url
    fair_stack.freeze_worker(0)          # the interactive worker: synchronous requests now wait
    try:
        with ThreadPoolExecutor(12) as pool:
            waiting = [pool.submit(timed, "POST", base + "/api/forecast", FORECAST) for _ in range(12)]
            time.sleep(1.0)              # every request has arrived: 4 wait, the others had their 202
            health, health_took = timed("GET", base + "/api/health")
            early = [f.result() for f in waiting if f.done()]
            assert len(early) == 8 and all(r.status == 202 and t < QUICK_BOUND_S for r, t in early), early
            poll, poll_took = timed("GET", base + early[0][0].headers["Location"])
            assert health.status == 200 and health_took < QUICK_BOUND_S, (health.status, health_took)
            assert poll.status == 200 and poll_took < QUICK_BOUND_S, (poll.status, poll_took)
            fair_stack.freeze_worker(0, frozen=False)
            statuses = sorted(f.result()[0].status for f in waiting)
    finally:
        fair_stack.freeze_worker(0, frozen=False)
    assert statuses == [200] * 4 + [202] * 8   # the 4 that waited got their forecast once it thawed
