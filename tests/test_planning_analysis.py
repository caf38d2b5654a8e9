"""Analysis sections: risk levels, hourly patterns, scenarios, schedule, portfolio and JSON conversion."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pytest

from planning import Forecast, analyze, analyze_batch, analyze_each, build_portfolio, recommend_each, to_jsonable
from planning import ForecastBatch, PlanBatch
from tests.planning_cases import forecast, plan


def _risk(loads, **kwargs):
    return analyze(forecast(loads, spread_up=1.0), plan(current_capacity=1000, **kwargs)).risk_assessment


@pytest.mark.parametrize("critical, over, level", [
    (11, 0, "critical"), (10, 0, "medium"), (10, 11, "high"), (0, 21, "high"), (0, 20, "medium"),
    (0, 6, "medium"), (0, 5, "low"),
])
def test_risk_levels_follow_the_original_shares(critical, over, level):
    loads = np.full(100, 500.0)
    loads[:critical] = 960.0                 # >= 0.95: critical (and over the 0.8 threshold)
    loads[critical:critical + over] = 850.0  # >= 0.8 threshold only
    loads[-20:] = 100.0                      # < 0.3: under-utilised
    risk = _risk(loads)
    assert risk["critical_hours"] == critical
    assert risk["over_capacity_hours"] == critical + over
    assert risk["under_utilized_hours"] == 20
    assert risk["risk_level"] == level
    assert risk["hours"] == 100


def test_risk_at_p90_counts_the_upper_band():
    loads = np.full(20, 700.0)               # median 0.7; p90 = 0.875 >= 0.8
    risk = analyze(forecast(loads, spread_up=1.25), plan(current_capacity=1000)).risk_assessment
    assert risk["over_capacity_hours"] == 0 and risk["risk_level"] == "low"
    assert risk["p90_over_capacity_hours"] == 20 and risk["p90_risk_level"] == "high"
    assert risk["p90_over_100_percent_hours"] == 0


def test_hourly_patterns_use_each_hours_timestamp():
    start = datetime(2024, 1, 14, 22)        # Sunday 22:00
    median = np.array([(22 + k) % 24 for k in range(48)], dtype=float) + 1
    a = analyze(Forecast(start=start, median=median, p10=median, p90=median), plan())
    hp = a.hourly_patterns
    assert hp["avg_load_by_hour"] == {str(h): float(h + 1) for h in range(24)}
    assert hp["peak_hour"] == 23 and hp["low_hour"] == 0
    assert list(hp["avg_load_by_day"]) == ["Monday", "Tuesday", "Sunday"]
    assert hp["avg_load_by_day"]["Sunday"] == 23.5 and hp["avg_load_by_day"]["Monday"] == 12.5
    assert hp["peak_day"] == "Sunday" and hp["low_day"] == "Tuesday"
    short = analyze(Forecast(start=start, median=[5.0, 9.0], p10=[5.0, 9.0], p90=[5.0, 9.0]), plan())
    assert short.hourly_patterns["avg_load_by_hour"] == {"22": 5.0, "23": 9.0}


def test_scenarios_follow_their_formulas():
    median = np.full(24, 1000.0)
    median[3] = 4000.0                       # p90 peak 5000, average 1125
    s = analyze(forecast(median), plan(current_capacity=5000)).scaling_scenarios
    assert list(s) == ["conservative", "balanced", "aggressive", "average_based"]
    assert s["conservative"]["capacity"] == 7500 and s["balanced"]["capacity"] == 6875
    assert s["aggressive"]["capacity"] == 5000
    assert s["average_based"]["capacity"] == int(np.ceil(1125 / 0.8 * 1.5))
    assert s["conservative"]["cost_impact"] == "high" and s["aggressive"]["cost_impact"] == "low"
    assert s["aggressive"]["p90_hours_over_threshold"] == 1 and s["aggressive"]["p90_hours_over_capacity"] == 0
    assert s["average_based"]["p90_hours_over_capacity"] == 1 and "over 100%" in s["average_based"]["warning"]
    assert s["balanced"]["warning"] is None and "cost" not in s["balanced"]


def test_scenario_costs_against_the_static_peak_plan():
    s = analyze(forecast(np.full(10, 800.0)),
                plan(current_capacity=1000, unit_capacity=100, unit_cost_per_hour=1.0)).scaling_scenarios
    # static peak plan: ceil(1000 / 0.8 / 100) = 13 instances for 10 hours = 130
    assert s["balanced"]["instances"] == 14 and s["balanced"]["cost"] == 140.0
    assert s["balanced"]["saving_vs_static_peak"] == -10.0
    assert s["aggressive"]["instances"] == 10 and s["aggressive"]["saving_vs_static_peak"] == 30.0


def test_schedule_lead_time_hold_and_bounds():
    median = np.full(24, 400.0)
    median[10:13] = 1600.0                   # need 2000 at hours 10..12 (p90 = median, threshold 0.8)
    sched = analyze(forecast(median, spread_up=1.0),
                    plan(current_capacity=500, lead_time_hours=2, min_hold_hours=3)).scaling_schedule
    cap = sched["capacity"]
    assert cap[0] == 500 and cap[7] == 500 and cap[8] == 2000   # in place two hours ahead
    assert cap[12] == 2000 and cap[13] == 500 and sched["change_hours"] == [8, 13]
    assert sched["scaling_actions"] == 2 and sched["static_capacity"] == 2000
    assert sched["capacity_hours"] == sum(cap)
    assert sched["saving_capacity_hours"] == 24 * 2000 - sum(cap)
    capped = analyze(forecast(median, spread_up=1.0),
                     plan(current_capacity=500, max_capacity=1500, min_capacity=600)).scaling_schedule
    assert max(capped["capacity"]) == 1500 and min(capped["capacity"]) == 600
    assert capped["uncovered_hours"] == 3
    assert capped["uncovered_timestamps"] == ["2024-01-15T21:00:00", "2024-01-15T22:00:00", "2024-01-15T23:00:00"]


def test_schedule_prices_instances_when_units_are_given():
    sched = analyze(forecast(np.full(4, 400.0), spread_up=1.0),
                    plan(current_capacity=500, unit_capacity=300, unit_cost_per_hour=0.5)).scaling_schedule
    assert sched["instances"] == [2, 2, 2, 2] and sched["capacity"] == [600.0] * 4
    assert sched["cost"] == 4.0 and sched["static_cost"] == 4.0 and sched["saving"] == 0.0


def test_summary_and_statistics_keep_the_original_names():
    a = analyze(forecast([100.0, 300.0]), plan(current_capacity=1000))
    assert a.summary["forecast_period_hours"] == 2 and a.summary["current_capacity"] == 1000
    assert a.summary["period_end"] == "2024-01-15T12:00:00"
    assert a.load_statistics == {"max_load": 300.0, "min_load": 100.0, "avg_load": 200.0, "std_load": 100.0,
                                 "p90_max_load": 375.0, "p90_avg_load": 250.0, "p10_min_load": 90.0}
    assert a.utilization_statistics == {"max_utilization": 0.3, "avg_utilization": 0.2, "min_utilization": 0.1,
                                        "p90_max_utilization": 0.375}
    assert a.cost is None and "cost" not in to_jsonable(a)


def test_each_functions_batch_ragged_forecasts_in_order():
    forecasts = [forecast([100.0] * 3), forecast([200.0] * 5), forecast([300.0] * 3)]
    plans = [plan(current_capacity=c) for c in (1000, 2000, 3000)]
    analyses = analyze_each(forecasts, plans)
    assert [a.summary["forecast_period_hours"] for a in analyses] == [3, 5, 3]
    assert [a.summary["current_capacity"] for a in analyses] == [1000, 2000, 3000]
    assert recommend_each(forecasts, plans) == [a.recommendations for a in analyses]


def test_portfolio_totals_counts_and_rankings():
    loads = [np.full(10, 950.0), np.full(10, 100.0), np.full(10, 400.0)]
    plans = [plan(current_capacity=1000, unit_capacity=100, unit_cost_per_hour=1.0),
             plan(current_capacity=1000), plan(current_capacity=1000, unit_capacity=100, unit_cost_per_hour=1.0)]
    analyses = analyze_batch(ForecastBatch.from_forecasts([forecast(x) for x in loads]), PlanBatch.from_plans(plans))
    p = build_portfolio(["hot", "idle", "ok"], analyses)
    assert p.plans == 3 and p.totals["current_capacity"] == 3000 and p.totals["plans_with_cost"] == 2
    assert p.risk_counts == {"low": 2, "medium": 0, "high": 0, "critical": 1}
    assert p.action_counts["scale_up"] == 1 and p.action_counts["scale_down"] == 2
    assert [r["id"] for r in p.ranked_by_risk][0] == "hot"
    assert [r["id"] for r in p.ranked_by_saving] == ["ok", "hot", "idle"]   # costed plans first
    assert p.totals["cost"]["current"] == 200.0
    assert len(build_portfolio(["hot", "idle", "ok"], analyses, top=1).ranked_by_risk) == 1
    json.dumps(to_jsonable(p), allow_nan=False)


@dataclass
class _Sample:
    value: float
    optional: float | None = field(default=None, metadata={"omit_if_none": True})
    kept: float | None = None


def test_to_jsonable_converts_to_plain_types():
    obj = {"a": np.float32(1.5), "b": np.int64(3), "c": np.array([1.0, np.nan]), "d": float("inf"),
           "e": datetime(2024, 1, 2, 3, 4, 5, 600), "f": np.datetime64("2024-01-02T03", "h"),
           "g": (_Sample(np.float64(2.0)),), "h": [np.bool_(True), None], "i": np.datetime64("NaT")}
    out = to_jsonable(obj)
    assert out == {"a": 1.5, "b": 3, "c": [1.0, None], "d": None, "e": "2024-01-02T03:04:05",
                   "f": "2024-01-02T03:00:00", "g": [{"value": 2.0, "kept": None}], "h": [True, None], "i": None}
    assert type(out["b"]) is int and type(out["h"][0]) is bool
    with pytest.raises(TypeError):
        to_jsonable(object())


def test_portfolio_rebuilt_from_stored_json_is_the_same():
    # Batch workers store analyses as JSON and rebuild Analysis objects for the portfolio.
    from planning import Analysis, Recommendation
    loads = [np.full(12, 950.0), np.full(12, 300.0)]
    plans = [plan(current_capacity=1000, unit_capacity=100, unit_cost_per_hour=1.0), plan(current_capacity=2000)]
    analyses = analyze_batch(ForecastBatch.from_forecasts([forecast(x) for x in loads]), PlanBatch.from_plans(plans))
    stored = json.loads(json.dumps(to_jsonable(analyses)))
    rebuilt = [Analysis(**{**a, "recommendations": Recommendation(**a["recommendations"]), "cost": a.get("cost")})
               for a in stored]
    assert to_jsonable(build_portfolio(["a", "b"], rebuilt)) == to_jsonable(build_portfolio(["a", "b"], analyses))
