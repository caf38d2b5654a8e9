"""A chunk or portfolio step that fails ends its batch as failed with a reason, never left running."""
from __future__ import annotations

import pytest

from jobs.json_values import check_json
from jobs.store import JobStore
from tests.isolation_cases import job_request
from tests.stand_in_forecaster import StandInForecaster


def _batch(store: JobStore, plans: int, chunks: int) -> str:
    entries = [{"id": f"p{i}", "request": job_request({}, current_load=400.0 + i)} for i in range(plans)]
    size = -(-plans // chunks)
    job_id = store.create("batch", {}, total=plans)
    pipe = store.redis.pipeline()
    store.store_chunks(job_id, [{"offset": i, "plans": entries[i:i + size]} for i in range(0, plans, size)], pipe)
    pipe.execute()
    return job_id


def test_a_chunk_that_fails_outside_any_plan_fails_its_batch(store, monkeypatch):
    from workers import tasks

    job_id = _batch(store, 4, 2)
    monkeypatch.setattr(tasks, "_store", store)
    monkeypatch.setattr(tasks.model_holder, "get_forecaster", lambda settings: StandInForecaster())
    assert tasks.run_batch.run(job_id, 0, 2) == 2
    store.redis.set(store.key(job_id, ":chunk:1"), "[not a chunk")             # unreadable: no plan to blame
    with pytest.raises(ValueError):
        tasks.run_batch.run(job_id, 1, 2)
    job = store.get(job_id)
    assert job["status"] == "failed" and job["progress"] == {"done": 2, "total": 4}
    assert job["error"] == {"code": "chunk_failed", "status": 500,
                            "message": "a chunk of this batch failed; the batch was stopped"}
    assert tasks.run_batch.run(job_id, 1, 2) == 0                               # redelivered: nothing to do


def test_a_portfolio_that_fails_fails_its_batch_and_keeps_the_plans_results(store, monkeypatch):
    from workers import batch_runner

    def overflowing(_results):
        from planning import to_jsonable

        return to_jsonable({"totals": {"current_capacity": 1e308 * 10}}, strict=True)

    monkeypatch.setattr(batch_runner, "portfolio", overflowing)
    job_id = _batch(store, 3, 1)
    assert batch_runner.run_batch_chunk(store, StandInForecaster(), job_id, 0, 1) == 3
    job = store.get(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "portfolio_failed"
    assert job["error"]["results_url"] == f"/api/jobs/{job_id}/results" and job["error"]["status"] == 500
    assert [r["success"] for r in store.plan_results(job_id)] == [True, True, True]
    check_json(job)


def test_a_chunk_finishing_after_the_sweep_leaves_the_batch_failed(store):
    from jobs.stalls import StallSweeper
    from workers.batch_runner import run_batch_chunk

    job_id = _batch(store, 4, 2)
    assert run_batch_chunk(store, StandInForecaster(), job_id, 0, 2) == 2
    assert StallSweeper(store, 0).sweep(now=store.redis.zscore("capplan:running", job_id) + 1) == [job_id]
    assert run_batch_chunk(store, StandInForecaster(), job_id, 1, 2) == 0
    assert store.get(job_id)["status"] == "failed" and store.get(job_id)["error"]["code"] == "no_progress"
