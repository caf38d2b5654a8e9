"""Property tests (hypothesis) for the planning engine's guarantees."""
from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from planning import ForecastBatch, PlanBatch, analyze_batch, recommend_batch, to_jsonable
from planning.analysis import analysis_arrays
from planning.scenarios import scenario_arrays
from planning.schedule import schedule_core
from planning.sizing import recommend_core, sizing_load

FAST = settings(max_examples=60, deadline=None)
RISK_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@st.composite
def batches(draw, min_load=0.0, bounds=True, min_hysteresis=0.0):
    """A small ForecastBatch and PlanBatch with varied plans."""
    n = draw(st.integers(1, 4))
    h = draw(st.integers(1, 60))
    elements = st.floats(min_load, 1e5, allow_nan=False, allow_infinity=False)
    median = draw(hnp.arrays(np.float64, (n, h), elements=elements))
    low = draw(hnp.arrays(np.float64, (n, h), elements=st.floats(0, 1)))
    high = draw(hnp.arrays(np.float64, (n, h), elements=st.floats(0, 2)))
    start = np.datetime64("2024-01-15T00", "h") + draw(
        hnp.arrays(np.int64, n, elements=st.integers(0, 24 * 14))).astype("timedelta64[h]")
    fb = ForecastBatch(start=start, median=median, p10=median * low, p90=median * (1 + high))

    def column(strategy, optional=False):
        values = []
        for _ in range(n):
            if optional and draw(st.booleans()):
                values.append(np.nan)
            else:
                values.append(draw(strategy))
        return np.array(values)

    caps = st.floats(1.0, 1e6)
    min_cap = column(st.floats(0, 1e4), optional=True) if bounds else np.full(n, np.nan)
    max_cap = column(st.floats(1e4, 1e6), optional=True) if bounds else np.full(n, np.nan)
    pb = PlanBatch(
        current_capacity=column(caps), scaling_threshold=column(st.floats(0.05, 1.0)),
        quantile=column(st.sampled_from([0.5, 0.9])), headroom=column(st.one_of(st.just(0.0), st.floats(0, 0.5))),
        hysteresis=column(st.floats(min_hysteresis, 0.5)),
        unit_capacity=column(st.floats(3, 5e3), optional=True),    # >= 0.01 after scaling by 2**-8
        unit_cost_per_hour=column(st.floats(0, 10), optional=True),
        lead_time_hours=column(st.integers(0, 4)).astype(np.int64),
        min_hold_hours=column(st.integers(1, 6)).astype(np.int64),
        min_capacity=min_cap, max_capacity=max_cap)
    return fb, pb


@FAST
@given(batches())
def test_recommendation_keeps_the_peak_at_or_under_the_threshold(batch):
    fb, pb = batch
    core = recommend_core(fb, pb)
    peak = sizing_load(fb, pb).max(axis=1)
    assert np.all(peak <= pb.scaling_threshold * core.recommended * (1 + 1e-9))
    assert np.all((core.action == 0) == (core.recommended == pb.current_capacity))


@FAST
@given(batches())
def test_scenarios_are_ordered(batch):
    fb, pb = batch
    conservative, balanced, aggressive, _ = scenario_arrays(fb, pb, recommend_core(fb, pb))["capacity"].T
    assert np.all(conservative >= balanced) and np.all(balanced >= aggressive)


def _decisions(fb, pb):
    arrays = analysis_arrays(fb, pb)
    core = arrays["recommendation"]
    out = {"action": core.action, "urgency": core.urgency, "peak_hours": core.peak_hour_idx,
           "peak_count": core.peak_hour_count}
    for band in ("risk_median", "risk_p90"):
        out.update({f"{band}.{k}": v for k, v in arrays[band].items()})
    return out


@FAST
@given(batches(min_load=50.0, bounds=False, min_hysteresis=0.05), st.integers(-8, 8))
def test_scaling_load_and_capacity_together_changes_no_decision(batch, power):
    # Powers of two scale floats exactly, so this checks the rules, not rounding; loads >= 50 keep
    # whole-unit rounding of capacities far inside the hysteresis band.
    fb, pb = batch
    factor = 2.0 ** power
    scaled_fb = ForecastBatch(start=fb.start, median=fb.median * factor, p10=fb.p10 * factor, p90=fb.p90 * factor)
    scaled_pb = PlanBatch(**{**{f: getattr(pb, f) for f in pb.__dataclass_fields__},
                             "current_capacity": pb.current_capacity * factor,
                             "unit_capacity": pb.unit_capacity * factor})
    before, after = _decisions(fb, pb), _decisions(scaled_fb, scaled_pb)
    for key in before:
        assert np.array_equal(before[key], after[key]), key


@FAST
@given(batches(), st.floats(0, 1), st.floats(0, 1e4))
def test_risk_never_falls_as_load_rises(batch, relative, absolute):
    fb, pb = batch
    bigger = ForecastBatch(start=fb.start, median=fb.median * (1 + relative) + absolute,
                           p10=fb.p10 * (1 + relative) + absolute, p90=fb.p90 * (1 + relative) + absolute)
    for low, high in zip(analyze_batch(fb, pb), analyze_batch(bigger, pb)):
        for key in ("risk_level", "p90_risk_level"):
            assert RISK_RANK[high.risk_assessment[key]] >= RISK_RANK[low.risk_assessment[key]]
        for key in ("critical_hours", "over_capacity_hours", "p90_critical_hours", "p90_over_capacity_hours"):
            assert high.risk_assessment[key] >= low.risk_assessment[key]
        assert RISK_RANK[high.recommendations.urgency] >= RISK_RANK[low.recommendations.urgency]


@FAST
@given(batches())
def test_schedule_covers_the_p90_and_never_reverses_within_the_hold(batch):
    fb, pb = batch
    core = schedule_core(fb, pb)
    low = np.where(np.isnan(pb.min_capacity), 0, pb.min_capacity)[:, None]
    high = np.where(np.isnan(pb.max_capacity), np.inf, pb.max_capacity)[:, None]
    cap = core.capacity
    assert np.all((cap >= low) & (cap <= high))
    # what the p90 needs at the threshold, as far as max_capacity allows, in place lead hours ahead
    needed = np.minimum(fb.p90 / pb.scaling_threshold[:, None], high)
    hours = fb.hours
    for i in range(len(pb)):
        lead = int(pb.lead_time_hours[i])
        for k in range(hours):
            assert cap[i, k] * (1 + 1e-9) >= needed[i, k:k + lead + 1].max()
        previous = np.concatenate([[pb.current_capacity[i]], cap[i, :-1]])
        steps = np.sign(cap[i] - previous)
        changes = np.nonzero(steps)[0]
        hold = int(pb.min_hold_hours[i])
        for a, b in zip(changes[:-1], changes[1:]):
            if steps[a] != steps[b]:
                assert b - a >= hold, (i, a, b)
    assert np.array_equal(core.uncovered, fb.p90 / pb.scaling_threshold[:, None] > high)


@settings(max_examples=25, deadline=None)
@given(batches())
def test_results_are_strict_json(batch):
    fb, pb = batch
    payload = to_jsonable(analyze_batch(fb, pb))
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    recs = to_jsonable(recommend_batch(fb, pb))
    assert [a["recommendations"] for a in payload] == recs
