"""Hypothesis over plans and loads across planning's domains, their edges and extreme floats: every plan, in
a batch chunk or in a group of synchronous requests, yields finite JSON numbers or fails alone, with the
same outcome as when it is computed on its own. The runners are called directly with a stand-in
forecaster: no network, no Redis."""
from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from api.job_requests import batch_entries
from jobs.json_values import check_json
from planning.plan_options import PLAN_OPTIONS
from tests.isolation_cases import job_request, loose_plan_domains_in
from tests.stand_in_forecaster import StandInForecaster
from workers import runner
from workers.batch_runner import analyse_chunk

PROPERTIES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXTREME_FLOATS = [0.0, 5e-324, 1e-300, 1e-6, 0.01, 0.5, 1.0, 1e9, 1e12, 1e15, 1e300, 1e308, -1.0]
EXTREME_INTEGERS = [0, 1, 8760, 8761, 10 ** 6, 2 ** 62, 2 ** 63, 10 ** 300]
GOOD = job_request({"unit_capacity": 100, "unit_cost_per_hour": 0.5}, current_load=900.0)


def _edges(option) -> list:
    return [v for v in (option.gt, option.ge, option.le) if v is not None] + list(option.choices)


def _option(name: str, inside: bool):
    """Values of one plan option: its edges and values within them, or anything from the extremes too."""
    option = PLAN_OPTIONS[name]
    low = option.ge if option.ge is not None else (option.gt or 0)
    if option.integer:
        within = st.integers(int(low), int(option.le))
        return st.one_of(st.sampled_from(_edges(option)), within) if inside else \
            st.one_of(within, st.sampled_from(EXTREME_INTEGERS))
    if option.choices:
        return st.sampled_from(option.choices) if inside else st.sampled_from([*option.choices, 0.7, 1e300])
    within = st.floats(low, option.le, exclude_min=option.gt is not None)
    if inside:
        return st.one_of(st.sampled_from([v for v in _edges(option) if v != option.gt]), within)
    return st.one_of(within, st.sampled_from(EXTREME_FLOATS), st.floats(allow_nan=False, allow_infinity=False))


def _load(inside: bool):
    within = st.one_of(st.sampled_from([0.0, 1e-6, 1.0, 1e12]), st.floats(0, 1e12))
    return within if inside else st.one_of(within, st.sampled_from([5e-324, 1e15, 1e300, 1e308]))


@st.composite
def requests(draw, inside: bool):
    """A normalised job request with a plan; some options left out, a history in about a third of them."""
    plan = {name: draw(_option(name, inside)) for name in PLAN_OPTIONS
            if name == "current_capacity" or draw(st.integers(0, 2)) == 0}
    low, high = plan.get("min_capacity"), plan.get("max_capacity")
    if inside and low is not None and high is not None and low > high:
        plan["min_capacity"], plan["max_capacity"] = high, low
    hours = draw(st.sampled_from([1, 2, 24, 48, 168]))
    if draw(st.integers(0, 2)) == 0:
        history = draw(st.lists(_load(inside), min_size=1, max_size=60))
        return job_request(plan, hours, history=history, current_load=None)
    return job_request(plan, hours, current_load=draw(_load(inside)))


def _chunk(entries: list[dict], offset: int = 0) -> dict[int, dict]:
    return analyse_chunk(StandInForecaster(), entries, offset)


@PROPERTIES
@given(st.lists(requests(inside=True), min_size=1, max_size=6))
def test_every_plan_inside_the_domains_succeeds_with_finite_numbers(plans):
    results = _chunk([{"id": f"p{i}", "request": r} for i, r in enumerate(plans)])
    check_json(list(results.values()))
    assert all(r["success"] for r in results.values()), [r.get("error") for r in results.values()]


@PROPERTIES
@given(st.lists(requests(inside=False), min_size=1, max_size=5))
def test_in_a_chunk_each_plan_is_finite_or_fails_alone(plans):
    entries = [{"id": "good", "request": GOOD}] + [{"id": f"p{i}", "request": r} for i, r in enumerate(plans)]
    with loose_plan_domains_in():
        results = _chunk(entries)
        alone = {i: _chunk([entry], i)[i] for i, entry in enumerate(entries)}
    check_json(list(results.values()))
    assert results[0]["success"]
    for i, result in results.items():
        assert result == alone[i]
        assert result["success"] or result["error"]["code"] == "computation_error"


@PROPERTIES
@given(st.lists(st.tuples(st.sampled_from(["forecast", "recommendations", "analysis"]), requests(inside=False)),
                min_size=1, max_size=5))
def test_in_a_group_each_request_is_finite_or_fails_alone(jobs):
    records = [{"job_id": "good", "request_id": "r", "kind": "analysis", "request": GOOD}]
    for i, (kind, request) in enumerate(jobs):
        if kind == "forecast":
            request = {k: v for k, v in request.items() if k != "plan"}
        records.append({"job_id": f"j{i}", "request_id": f"r{i}", "kind": kind, "request": request})
    with loose_plan_domains_in():
        outcomes = runner.job_bodies(StandInForecaster(), records)
        alone = [runner.job_bodies(StandInForecaster(), [record])[0] for record in records]
    check_json([body for _, _, body in outcomes])
    assert outcomes[0][1] == "succeeded"
    for outcome, single in zip(outcomes, alone):
        assert outcome == single
        assert outcome[1] == "succeeded" or outcome[2] == runner.FAILED_JOB


@pytest.mark.parametrize("plan, field", [
    ({"current_capacity": 5e-324}, "current_capacity"),
    ({"current_capacity": 1e12, "scaling_threshold": 0.01, "headroom": 10, "unit_capacity": 1e-6,
      "unit_cost_per_hour": 1e9}, "unit_capacity"),
], ids=["capacity_near_zero", "instances_past_int64"])
def test_the_former_gaps_in_the_domains_are_refused_by_them(plan, field):
    """A load of 1e12 over 5e-324 overflowed, and 1e15 of need over 1e-6 per instance passed int64: the
    domains now refuse both, naming the field, and the same plans at the new edges succeed."""
    entry = batch_entries({"plans": [{**plan, "current_load": 1e12}]})[0]
    assert list(entry["error"]["fields"]) == [field], entry
    edge = {**plan, field: PLAN_OPTIONS[field].ge}
    result = _chunk([{"id": "edge", "request": job_request(edge, 24, current_load=1e12)}])[0]
    assert result["success"], result["error"]
    check_json([result])
