"""Recommendation objects for N plans, assembled from the vectorised core: sizing facts, wording, sections."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planning.explanation import explain
from planning.facts import sizing_facts
from planning.forecast import Forecast, ForecastBatch
from planning.gc_pause import gc_paused
from planning.plan import Plan, PlanBatch
from planning.rounding import LOAD_DECIMALS, UTILIZATION_DECIMALS, round_list
from planning.rows import dict_rows, split_rows
from planning.sizing import RecommendationCore, recommend_core
from planning.units import has_cost, has_units, instances

OMIT_IF_NONE = {"omit_if_none": True}


@dataclass(slots=True)
class Recommendation:
    """The original's recommendation fields plus the sizing facts and reasons behind them."""

    action: str
    urgency: str
    current_capacity: float
    recommended_capacity: float
    capacity_change: float
    capacity_change_percent: float
    metrics: dict
    peak_hours: list
    message: str
    reasons: list
    sizing: dict
    instances: dict | None = field(default=None, metadata=OMIT_IF_NONE)
    cost: dict | None = field(default=None, metadata=OMIT_IF_NONE)


def recommend_batch(fb: ForecastBatch, pb: PlanBatch) -> list[Recommendation]:
    """Recommendations for N plans: one vectorised pass, then lean per-plan objects."""
    return materialise_recommendations(fb, pb, recommend_core(fb, pb))


def recommend(forecast: Forecast, plan: Plan) -> Recommendation:
    """Recommendation for one plan (the batch path with N = 1)."""
    return recommend_batch(ForecastBatch.from_forecasts([forecast]), PlanBatch.from_plans([plan]))[0]


@gc_paused
def materialise_recommendations(fb: ForecastBatch, pb: PlanBatch, core: RecommendationCore) -> list[Recommendation]:
    """Round the core's arrays in bulk, then build one Recommendation per plan."""
    instance_blocks, cost_blocks = _unit_sections(fb, pb, core)
    out = []
    for f, metrics, peak_hours, instance_block, cost_block in zip(
            sizing_facts(fb, pb, core), _metrics(core), _peak_hours(fb, pb, core), instance_blocks, cost_blocks):
        message, reasons = explain(f)
        out.append(Recommendation(
            action=f.action, urgency=f.urgency, current_capacity=f.current, recommended_capacity=f.recommended,
            capacity_change=f.change, capacity_change_percent=f.change_percent, metrics=metrics,
            peak_hours=peak_hours, message=message, reasons=reasons, sizing=f.sizing_section(),
            instances=instance_block, cost=cost_block))
    return out


def _metrics(core: RecommendationCore) -> list[dict]:
    """Each plan's `metrics` dict: median load statistics and utilisation of the current capacity."""
    return dict_rows(
        max_predicted_load=round_list(core.max_load, LOAD_DECIMALS),
        avg_predicted_load=round_list(core.avg_load, LOAD_DECIMALS),
        min_predicted_load=round_list(core.min_load, LOAD_DECIMALS),
        max_utilization=round_list(core.max_util, UTILIZATION_DECIMALS),
        avg_utilization=round_list(core.avg_util, UTILIZATION_DECIMALS),
        max_p90_load=round_list(core.p90_max_load, LOAD_DECIMALS))


def _peak_hours(fb: ForecastBatch, pb: PlanBatch, core: RecommendationCore) -> list[list[dict]]:
    """Each plan's `peak_hours` list, highest median first; only the real peak hours are rounded and dated."""
    real = np.arange(core.peak_hour_idx.shape[1]) < core.peak_hour_count[:, None]   # [N, K] bool
    plan, column = np.nonzero(real)                                                # [M] each, plan after plan
    hour = core.peak_hour_idx[plan, column]                                        # [M]
    stamps = np.datetime_as_string(fb.start[plan] + hour.astype("timedelta64[h]"), unit="s").tolist()
    median = fb.median[plan, hour]                                                 # [M]
    entries = [{"timestamp": s, "predicted_load": v, "upper": u, "utilization": r}
               for s, v, u, r in zip(stamps, round_list(median, LOAD_DECIMALS),
                                     round_list(fb.p90[plan, hour], LOAD_DECIMALS),
                                     round_list(median / pb.current_capacity[plan], UTILIZATION_DECIMALS))]
    return split_rows(entries, core.peak_hour_count)


def _unit_sections(fb: ForecastBatch, pb: PlanBatch, core: RecommendationCore) -> tuple[list, list]:
    """Each plan's `instances` and `cost` dicts; None where the plan gives no unit_capacity or unit cost."""
    current, recommended = instances(pb.current_capacity, pb), instances(core.recommended, pb)   # [N] each
    instance_blocks: list[dict | None] = [None] * len(pb)
    cost_blocks: list[dict | None] = [None] * len(pb)
    for i in np.flatnonzero(has_units(pb)).tolist():
        instance_blocks[i] = {"unit_capacity": float(pb.unit_capacity[i]), "current": int(current[i]),
                              "recommended": int(recommended[i]), "change": int(recommended[i] - current[i])}
    per_period = pb.unit_cost_per_hour * fb.hours                     # [N] one instance over the forecast
    for i in np.flatnonzero(has_cost(pb)).tolist():
        cost_blocks[i] = {"unit_cost_per_hour": float(pb.unit_cost_per_hour[i]), "period_hours": fb.hours,
                          "current": round(float(current[i] * per_period[i]), LOAD_DECIMALS),
                          "recommended": round(float(recommended[i] * per_period[i]), LOAD_DECIMALS),
                          "change": round(float((recommended[i] - current[i]) * per_period[i]), LOAD_DECIMALS)}
    return instance_blocks, cost_blocks
