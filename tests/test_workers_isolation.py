"""Failures stay where they start (issue 23): one request's or one plan's exception fails it alone, and its
group, chunk and batch complete. Worker pieces called directly, on a real Redis and the shipped model."""
from __future__ import annotations

import logging
import math

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from jobs.json_values import check_json
from tests.isolation_cases import WEDGING, job_request, loose_plan_domains, wedging_request  # noqa: F401
from tests.stand_in_forecaster import StandInForecaster
from workers import isolation

FAILED = isolation.FAILED


def _no_ids(_position):
    return {}


# --- the steps ---------------------------------------------------------------------------------------
def test_bisected_fails_only_the_items_that_raise_in_few_passes():
    passes = []

    def square_unless_negative(values):
        passes.append(len(values))
        if any(v < 0 for v in values):
            raise ValueError("negative")
        return [v * v for v in values]

    values = list(range(64))
    values[37] = -1
    out = isolation.bisected(square_unless_negative, values, describe=_no_ids)
    assert out[37] is FAILED and out[:37] == [v * v for v in range(37)] and out[63] == 63 * 63
    assert len(passes) == 1 + 2 * 6 and sum(passes) == 64 + 2 * 64 - 2   # the whole, then both halves of each level
    passes.clear()
    assert isolation.bisected(square_unless_negative, [1, 2, 3], describe=_no_ids) == [1, 4, 9]
    assert passes == [3]                                                     # nothing fails: one pass


def test_steps_pass_over_failed_items_and_let_what_is_no_items_fault_through():
    added = isolation.each(lambda a, b: a + b, [1, FAILED, 3], [10, 20, FAILED], describe=_no_ids)
    assert added == [11, FAILED, FAILED]
    assert isolation.bisected(lambda a: a, [FAILED, FAILED], describe=_no_ids) == [FAILED, FAILED]

    def too_slow(_values):
        raise SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        isolation.bisected(too_slow, [1, 2], describe=_no_ids)
    with pytest.raises(SoftTimeLimitExceeded):
        isolation.each(lambda v: too_slow([v]), [1], describe=_no_ids)
    with pytest.raises(KeyError):
        isolation.bisected(lambda v: {}[v[0]], [1, 2], describe=_no_ids, passthrough=(KeyError,))


def test_a_failing_item_is_logged_with_its_ids(caplog):
    with caplog.at_level(logging.ERROR, logger="capplan.worker"):
        isolation.each(lambda v: 1 / v, [1, 0], describe=lambda i: {"plan": i, "plan_id": f"p{i}"})
    record, = caplog.records
    assert record.message == "computation failed" and record.plan_id == "p1" and record.exc_info


# --- a chunk of a batch --------------------------------------------------------------------------------
def test_a_history_the_network_cannot_take_fails_its_plan_alone():
    from workers.batch_runner import analyse_chunk

    forecaster = StandInForecaster()
    entries = [{"id": f"p{i}", "request": job_request({})} for i in range(16)]
    entries[5]["request"] = job_request({}, history=[1.0, math.nan, 2.0], current_load=None)
    results = analyse_chunk(forecaster, entries, offset=100)
    assert [i for i, r in results.items() if not r["success"]] == [105]
    assert results[105]["error"] == {"code": "computation_error", "fields": {},
                                     "message": "the service could not compute a result from these values"}
    assert forecaster.passes[0] == 16 and len(forecaster.passes) == 1 + 2 * 4    # split only to find p5
    check_json(list(results.values()))


@pytest.mark.usefixtures("loose_plan_domains")
def test_inputs_that_wedged_batches_fail_alone_and_the_batch_succeeds(store, forecaster):
    from workers.batch_runner import run_batch_chunk

    good = [{"id": f"good{i}", "request": job_request({"unit_capacity": 100, "unit_cost_per_hour": 1.0}
                                                     if i % 2 else {}, current_load=500.0 + i)} for i in range(6)]
    bad = [{"id": name, "request": wedging_request(name)} for name in WEDGING]
    entries = good[:3] + bad + good[3:]
    job_id = store.create("batch", {}, total=len(entries))
    pipe = store.redis.pipeline()
    store.store_chunks(job_id, [{"offset": 0, "plans": entries[:7]}, {"offset": 7, "plans": entries[7:]}], pipe)
    pipe.execute()
    assert run_batch_chunk(store, forecaster, job_id, 0, 2) == 7
    assert run_batch_chunk(store, forecaster, job_id, 1, 2) == len(entries) - 7
    job = store.get(job_id)
    assert job["status"] == "succeeded", job
    assert (job["result"]["succeeded"], job["result"]["failed"]) == (6, len(WEDGING))
    assert job["result"]["portfolio"]["plans"] == 6
    results = store.plan_results(job_id)
    assert {r["id"] for r in results if r["success"]} == {f"good{i}" for i in range(6)}
    assert {r["error"]["code"] for r in results if not r["success"]} == {"computation_error"}
    check_json(job)
    check_json(results)


# --- a group of synchronous requests -------------------------------------------------------------------
@pytest.mark.usefixtures("loose_plan_domains")
def test_one_poisoned_request_fails_alone_and_its_group_answers(store, forecaster):
    from workers import runner

    good = [store.create("recommendations", job_request({}, 24, current_load=800.0 + 10 * i)) for i in range(24)]
    poisoned = store.create("recommendations", wedging_request("lead_time_1e300", 24))
    group = good[:12] + [poisoned] + good[12:]
    assert runner.run_jobs(store, forecaster, group) == 25
    assert all(store.get(job_id)["status"] == "succeeded" for job_id in good)
    job = store.get(poisoned)
    assert job["status"] == "failed" and job["error"]["code"] == "computation_error" and job["error"]["status"] == 422


@pytest.mark.usefixtures("loose_plan_domains")
@pytest.mark.parametrize("kind", ["forecast", "recommendations", "analysis"])
def test_inputs_that_answered_non_json_or_wrong_numbers_fail_alone(store, forecaster, kind):
    from workers import runner

    def request(name=None, **fields):
        made = wedging_request(name, 24) if name else job_request({}, 24, **fields)
        if kind == "forecast":
            made.pop("plan")
        return made

    names = ["current_load_1e308", "capacity_1e308", "load_and_capacity_1e300", "history_1e308"]
    ids = [store.create(kind, request(current_load=700.0))] + [store.create(kind, request(n)) for n in names]
    runner.run_jobs(store, forecaster, ids)
    jobs = [store.get(job_id) for job_id in ids]
    check_json(jobs)
    assert jobs[0]["status"] == "succeeded"
    for name, job in zip(names, jobs[1:]):
        if job["status"] == "failed":
            assert job["error"]["code"] == "computation_error", (name, job)
            continue
        if kind != "forecast":
            planned = job["result"][kind]
            sizing = (planned if kind == "recommendations" else planned["recommendations"])["sizing"]
            assert sizing["required_capacity"] > 0, (name, sizing)          # never -9223372036854775808
    assert jobs[1]["status"] == jobs[4]["status"] == "failed"               # a forecast of 1e308 overflows
