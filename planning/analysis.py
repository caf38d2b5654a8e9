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
from planning.risk import RISK_LEVELS, risk_counts
from planning.rounding import LOAD_DECIMALS, UTILIZATION_DECIMALS, capacity_list, round_list
from planning.scenarios import scenario_arrays, scenario_dicts
from planning.schedule import schedule_core, schedule_dicts
from planning.sizing import recommend_core
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


def _risk_dicts(median: dict, p90: dict, hours: int) -> list[dict]:
    keys = ("critical_hours", "over_capacity_hours", "under_utilized_hours")
    cols = [median[k].tolist() for k in keys] + [p90[k].tolist() for k in keys]
    levels = RISK_LEVELS[median["level"]].tolist()
    p90_levels = RISK_LEVELS[p90["level"]].tolist()
    p90_over_100 = p90["over_100_hours"].tolist()
    return [{"risk_level": lvl, "critical_hours": c, "over_capacity_hours": o, "under_utilized_hours": u,
             "p90_risk_level": plvl, "p90_critical_hours": pc, "p90_over_capacity_hours": po,
             "p90_under_utilized_hours": pu, "p90_over_100_percent_hours": p100, "hours": hours}
            for lvl, c, o, u, pc, po, pu, plvl, p100 in zip(levels, *cols, p90_levels, p90_over_100)]


@gc_paused
def materialise_analyses(fb: ForecastBatch, pb: PlanBatch, arrays: dict) -> list[Analysis]:
    """Round in bulk, then build one Analysis per plan."""
    core = arrays["recommendation"]
    recs = materialise_recommendations(fb, pb, core)
    risks = _risk_dicts(arrays["risk_median"], arrays["risk_p90"], fb.hours)
    patterns = hourly_pattern_dicts(arrays["patterns"])
    scenarios = scenario_dicts(fb, pb, arrays["scenarios"], arrays["schedule"].static_capacity)
    schedules = schedule_dicts(fb, pb, arrays["schedule"])
    cap = pb.current_capacity
    ends = np.datetime_as_string(fb.start + np.timedelta64(fb.hours - 1, "h"), unit="s").tolist()
    starts = np.datetime_as_string(fb.start, unit="s").tolist()
    costs = _cost_summaries(fb, pb, arrays["schedule"].static_capacity, recs, schedules)
    columns = zip(
        starts, ends, capacity_list(cap), pb.scaling_threshold.tolist(), pb.quantile.tolist(),
        round_list(core.max_load, LOAD_DECIMALS), round_list(core.min_load, LOAD_DECIMALS),
        round_list(core.avg_load, LOAD_DECIMALS), round_list(arrays["std_load"], LOAD_DECIMALS),
        round_list(core.p90_max_load, LOAD_DECIMALS), round_list(arrays["p90_avg_load"], LOAD_DECIMALS),
        round_list(arrays["p10_min_load"], LOAD_DECIMALS),
        round_list(core.max_util, UTILIZATION_DECIMALS), round_list(core.avg_util, UTILIZATION_DECIMALS),
        round_list(core.min_load / cap, UTILIZATION_DECIMALS),
        round_list(core.p90_max_load / cap, UTILIZATION_DECIMALS))
    out = []
    for i, (start, end, current, thr, quantile, max_l, min_l, avg_l, std_l, p90_max, p90_avg, p10_min,
            max_u, avg_u, min_u, p90_max_u) in enumerate(columns):
        rec, risk = recs[i], risks[i]
        out.append(Analysis(
            summary={"forecast_period_hours": fb.hours, "period_start": start, "period_end": end,
                     "current_capacity": current, "scaling_threshold": thr, "sizing_quantile": quantile,
                     "action": rec.action, "urgency": rec.urgency, "recommended_capacity": rec.recommended_capacity,
                     "risk_level": risk["risk_level"], "p90_risk_level": risk["p90_risk_level"],
                     "message": rec.message},
            load_statistics={"max_load": max_l, "min_load": min_l, "avg_load": avg_l, "std_load": std_l,
                             "p90_max_load": p90_max, "p90_avg_load": p90_avg, "p10_min_load": p10_min},
            utilization_statistics={"max_utilization": max_u, "avg_utilization": avg_u,
                                    "min_utilization": min_u, "p90_max_utilization": p90_max_u},
            risk_assessment=risk, hourly_patterns=patterns[i], recommendations=rec,
            scaling_scenarios=scenarios[i], scaling_schedule=schedules[i], cost=costs[i]))
    return out


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
