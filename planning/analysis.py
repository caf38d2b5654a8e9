"""Full analysis for N plans: statistics, risk, patterns, recommendation, scenarios and schedule."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planning.forecast import Forecast, ForecastBatch
from planning.gc_pause import gc_paused
from planning.patterns import hourly_pattern_arrays, hourly_pattern_dicts
from planning.plan import Plan, PlanBatch
from planning.recommendation import OMIT_IF_NONE, Recommendation, materialise_recommendations, recommend_batch
from planning.risk import risk_counts, risk_dicts
from planning.rounding import LOAD_DECIMALS, UTILIZATION_DECIMALS, capacity_list, round_list
from planning.rows import dict_rows, records
from planning.scenarios import scenario_arrays, scenario_dicts
from planning.schedule import schedule_core, schedule_dicts
from planning.sizing import RecommendationCore, recommend_core
from planning.units import has_cost, instances


@dataclass(slots=True)
class Analysis:
    """The original's analysis sections plus the scaling schedule and, with unit costs, a cost summary."""

    summary: dict
    load_statistics: dict
    utilization_statistics: dict
    risk_assessment: dict
    hourly_patterns: dict
    recommendations: Recommendation
    scaling_scenarios: dict
    scaling_schedule: dict
    cost: dict | None = field(default=None, metadata=OMIT_IF_NONE)


def analysis_arrays(fb: ForecastBatch, pb: PlanBatch) -> dict:
    """The vectorised core of analyze_batch: every number, as arrays over N plans."""
    cap, thr = pb.current_capacity, pb.scaling_threshold
    core = recommend_core(fb, pb)
    return {
        "recommendation": core,
        "risk_median": risk_counts(fb.median, cap, thr),
        "risk_p90": risk_counts(fb.p90, cap, thr),
        "patterns": hourly_pattern_arrays(fb),
        "scenarios": scenario_arrays(fb, pb, core),
        "schedule": schedule_core(fb, pb),
        "std_load": fb.median.std(axis=1),
        "p90_avg_load": fb.p90.mean(axis=1),
        "p10_min_load": fb.p10.min(axis=1),
    }


def analyze_batch(fb: ForecastBatch, pb: PlanBatch) -> list[Analysis]:
    """Analyses for N plans: one vectorised pass, then lean per-plan objects."""
    return materialise_analyses(fb, pb, analysis_arrays(fb, pb))


def analyze(forecast: Forecast, plan: Plan) -> Analysis:
    """Analysis of one plan (the batch path with N = 1)."""
    return analyze_batch(ForecastBatch.from_forecasts([forecast]), PlanBatch.from_plans([plan]))[0]


def analyze_each(forecasts: Sequence[Forecast], plans: Sequence[Plan]) -> list[Analysis]:
    """Analyses for forecasts of different lengths: batched per length, returned in input order."""
    return _per_length(forecasts, plans, analyze_batch)


def recommend_each(forecasts: Sequence[Forecast], plans: Sequence[Plan]) -> list[Recommendation]:
    """Recommendations for forecasts of different lengths, in input order."""
    return _per_length(forecasts, plans, recommend_batch)


def _per_length(forecasts, plans, batch_fn) -> list:
    if len(forecasts) != len(plans):
        raise ValueError(f"{len(forecasts)} forecasts for {len(plans)} plans")
    groups: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(forecasts):
        groups[f.hours].append(i)
    out: list = [None] * len(forecasts)
    for members in groups.values():
        results = batch_fn(ForecastBatch.from_forecasts([forecasts[i] for i in members]),
                           PlanBatch.from_plans([plans[i] for i in members]))
        for i, result in zip(members, results):
            out[i] = result
    return out


@gc_paused
def materialise_analyses(fb: ForecastBatch, pb: PlanBatch, arrays: dict) -> list[Analysis]:
    """Round in bulk, then build one Analysis per plan."""
    core, schedule = arrays["recommendation"], arrays["schedule"]
    recs = materialise_recommendations(fb, pb, core)
    risks = risk_dicts(arrays["risk_median"], arrays["risk_p90"], fb.hours)
    schedules = schedule_dicts(fb, pb, schedule)
    return records(
        Analysis, summary=_summaries(fb, pb, recs, risks), load_statistics=_load_statistics(core, arrays),
        utilization_statistics=_utilization_statistics(pb, core), risk_assessment=risks,
        hourly_patterns=hourly_pattern_dicts(arrays["patterns"]), recommendations=recs,
        scaling_scenarios=scenario_dicts(fb, pb, arrays["scenarios"], schedule.static_capacity),
        scaling_schedule=schedules, cost=_cost_summaries(fb, pb, schedule.static_capacity, recs, schedules))


def _summaries(fb: ForecastBatch, pb: PlanBatch, recs: list[Recommendation], risks: list[dict]) -> list[dict]:
    """Each plan's `summary`: the period, the plan's main settings and the headline of each section."""
    return dict_rows(
        forecast_period_hours=[fb.hours] * len(pb),
        period_start=np.datetime_as_string(fb.start, unit="s").tolist(),
        period_end=np.datetime_as_string(fb.start + np.timedelta64(fb.hours - 1, "h"), unit="s").tolist(),
        current_capacity=capacity_list(pb.current_capacity), scaling_threshold=pb.scaling_threshold.tolist(),
        sizing_quantile=pb.quantile.tolist(), action=[r.action for r in recs], urgency=[r.urgency for r in recs],
        recommended_capacity=[r.recommended_capacity for r in recs],
        risk_level=[r["risk_level"] for r in risks], p90_risk_level=[r["p90_risk_level"] for r in risks],
        message=[r.message for r in recs])


def _load_statistics(core: RecommendationCore, arrays: dict) -> list[dict]:
    """Each plan's `load_statistics`: median, p90 and p10 load over the period."""
    return dict_rows(
        max_load=round_list(core.max_load, LOAD_DECIMALS), min_load=round_list(core.min_load, LOAD_DECIMALS),
        avg_load=round_list(core.avg_load, LOAD_DECIMALS), std_load=round_list(arrays["std_load"], LOAD_DECIMALS),
        p90_max_load=round_list(core.p90_max_load, LOAD_DECIMALS),
        p90_avg_load=round_list(arrays["p90_avg_load"], LOAD_DECIMALS),
        p10_min_load=round_list(arrays["p10_min_load"], LOAD_DECIMALS))


def _utilization_statistics(pb: PlanBatch, core: RecommendationCore) -> list[dict]:
    """Each plan's `utilization_statistics`: load over the current capacity."""
    cap = pb.current_capacity
    return dict_rows(
        max_utilization=round_list(core.max_util, UTILIZATION_DECIMALS),
        avg_utilization=round_list(core.avg_util, UTILIZATION_DECIMALS),
        min_utilization=round_list(core.min_load / cap, UTILIZATION_DECIMALS),
        p90_max_utilization=round_list(core.p90_max_load / cap, UTILIZATION_DECIMALS))


def _cost_summaries(fb: ForecastBatch, pb: PlanBatch, static_capacity: np.ndarray, recs: list[Recommendation],
                    schedules: list[dict]) -> list[dict | None]:
    """Cost over the forecast period of each way to provision, for plans with unit_cost_per_hour."""
    rows = np.nonzero(has_cost(pb))[0]
    out: list[dict | None] = [None] * len(pb)
    if rows.size == 0:
        return out
    static = instances(static_capacity, pb) * (pb.unit_cost_per_hour * fb.hours)
    for i in rows.tolist():
        rec_cost = recs[i].cost                            # current and recommended, priced once there
        out[i] = {"unit_cost_per_hour": rec_cost["unit_cost_per_hour"], "period_hours": fb.hours,
                  "current": rec_cost["current"], "recommended": rec_cost["recommended"],
                  "static_peak": round(float(static[i]), LOAD_DECIMALS),
                  "schedule": schedules[i]["cost"]}
    return out
