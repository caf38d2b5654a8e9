"""Each kind of work lands on its own Celery queue (real Redis, no workers), and the cap on waiting requests."""
from __future__ import annotations

import base64
import json

import pytest
import redis as redis_lib

from api.wait_slots import WaitSlots
from jobs.queues import BATCH_CHUNK_TASK, BATCH_QUEUE, FORECAST_QUEUE, INTERACTIVE_QUEUE, RUN_JOBS_TASK, jobs_queue

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
PLAN = {**FORECAST, "current_capacity": 5000}


def queued(app) -> dict[str, list[tuple[str, list]]]:
    """Per queue, (task name, arguments) of each message waiting in it."""
    client = redis_lib.Redis.from_url(app.config["CAPPLAN"].REDIS_URL)
    out = {}
    for queue in (INTERACTIVE_QUEUE, FORECAST_QUEUE, BATCH_QUEUE):
        messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
        out[queue] = [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]
    return out


def job_ids_in(messages) -> set[str]:
    return {job_id for task, args in messages if task == RUN_JOBS_TASK for job_id in args[0]}


def test_jobs_queue_is_interactive_only_for_waited_for_work():
    assert jobs_queue(waited_for=True) == INTERACTIVE_QUEUE and jobs_queue(waited_for=False) == FORECAST_QUEUE


def test_each_kind_of_work_goes_to_its_queue(app, client):
    sync = [client.post("/api/forecast", json=FORECAST), client.post("/api/capacity/recommendations", json=PLAN)]
    forced = client.post("/api/forecast", json=FORECAST, headers={"Prefer": "respond-async"})
    analysis = client.post("/api/capacity/analyze", json={**PLAN, "hours_ahead": 168})   # over SYNC_MAX_HOURS
    short_analysis = client.post("/api/capacity/analyze", json={**PLAN, "hours_ahead": 24},
                                 headers={"Prefer": "respond-async"})
    batch = client.post("/api/capacity/batch", json={"plans": [PLAN, PLAN]})
    # No worker runs: the waits run out (SYNC_WAIT_S 0.2 s here) and answer 202 with the job.
    assert [r.status_code for r in (*sync, forced, analysis, short_analysis, batch)] == [202] * 6
    queues = queued(app)
    assert job_ids_in(queues[INTERACTIVE_QUEUE]) == {r.get_json()["job_id"] for r in sync}
    assert job_ids_in(queues[FORECAST_QUEUE]) == {r.get_json()["job_id"] for r in (forced, analysis, short_analysis)}
    assert queues[BATCH_QUEUE] == [(BATCH_CHUNK_TASK, [batch.get_json()["job_id"], 0, 1])]


@pytest.fixture
def no_waiting_app(redis_server):
    from api import create_app

    redis_lib.Redis.from_url(redis_server.url).flushdb()
    return create_app({"REDIS_URL": redis_server.url, "ENV": "test", "LOG_LEVEL": "WARNING",
                       "SYNC_WAIT_S": 5, "SYNC_MAX_WAITING": 0})


def test_beyond_the_waiting_cap_a_sync_request_answers_202_at_once_on_the_async_queue(no_waiting_app):
    reply = no_waiting_app.test_client().post("/api/forecast", json=FORECAST, headers={"Prefer": "wait=5"})
    assert reply.status_code == 202 and "Preference-Applied" not in reply.headers   # it did not wait 5 s
    queues = queued(no_waiting_app)
    assert queues[INTERACTIVE_QUEUE] == [] and job_ids_in(queues[FORECAST_QUEUE]) == {reply.get_json()["job_id"]}
    assert no_waiting_app.extensions["capplan"].wait_slots.taken() == 0


def test_wait_slots_count_and_give_back():
    slots = WaitSlots(2)
    with slots.slot() as first, slots.slot() as second, slots.slot() as third, slots.slot(False) as unwanted:
        assert (first, second, third, unwanted) == (True, True, False, False) and slots.taken() == 2
    assert slots.taken() == 0
