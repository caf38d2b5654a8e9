"""On the real stack: a plan whose values got past validation and cannot be computed fails alone inside a
real batch, which succeeds; every response read here is checked for NaN, Infinity and non-JSON values."""
from __future__ import annotations

import json

import pytest

from api.job_requests import batch_entries
from tests.test_service_integration import get, wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_poisoned_plan_fails_alone_in_a_real_batch(live_stack):
    plans = [{"id": f"ok{i}", "current_capacity": 5000, "current_load": 800 + i, "hours_ahead": 48,
              "timestamp": "2024-01-15T10:00:00"} for i in range(150)]
    entries = batch_entries({"plans": plans})
    # The API refuses both at the edge; written straight into the job, as a value might get past it.
    entries[37]["request"]["plan"]["lead_time_hours"] = 10 ** 300
    entries[120]["request"]["current_load"] = 1e308
    service = live_stack.app.extensions["capplan"]
    job_id = service.store.create("batch", {"plans": 150, "chunks": 2}, total=150)
    pipe = service.store.redis.pipeline()
    service.store.store_chunks(job_id, [{"offset": 0, "plans": entries[:100]},
                                        {"offset": 100, "plans": entries[100:]}], pipe)
    pipe.execute()
    service.publish_batch(job_id, 2)
    job = wait_job(live_stack, job_id, timeout=120)
    assert job["status"] == "succeeded", job
    assert (job["result"]["succeeded"], job["result"]["failed"]) == (148, 2)
    assert job["result"]["portfolio"]["plans"] == 148
    results = get(live_stack, f"/api/jobs/{job_id}/results?limit=1000").json()["results"]
    failed = {r["id"]: r["error"]["code"] for r in results if not r["success"]}
    assert failed == {"ok37": "computation_error", "ok120": "computation_error"}
    logged = [json.loads(line) for line in (live_stack.worker_log(0) + live_stack.worker_log(1)).splitlines()
              if line.startswith("{") and '"computation failed"' in line and job_id in line]
    assert {(entry["plan_id"], entry["job_id"]) for entry in logged} == {("ok37", job_id), ("ok120", job_id)}
    assert all("Traceback" in entry["exception"] for entry in logged)
