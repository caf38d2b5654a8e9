"""Recommendation objects built from the vectorised core, with reasons and a message from the same facts."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planning.explanation import explain
from planning.forecast import Forecast, ForecastBatch
from planning.gc_pause import gc_paused
from planning.plan import Plan, PlanBatch
from planning.rounding import (LOAD_DECIMALS, PERCENT_DECIMALS, UTILIZATION_DECIMALS, capacity_list,
                               capacity_text, round_list)
from planning.sizing import ACTIONS, URGENCIES, RecommendationCore, recommend_core
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
    hours = fb.hours
    stamps_peak = fb.timestamps(core.peak_hour_idx)                          # [N, K] str
    stamp_sizing = fb.timestamps(core.sizing_peak_hour).tolist()             # [N]
    rows = np.arange(len(pb))[:, None]
    peak_loads = round_list(fb.median[rows, core.peak_hour_idx], LOAD_DECIMALS)
    peak_upper = round_list(fb.p90[rows, core.peak_hour_idx], LOAD_DECIMALS)
    peak_utils = round_list(fb.median[rows, core.peak_hour_idx] / pb.current_capacity[:, None],
                            UTILIZATION_DECIMALS)
    over_max = (core.required > pb.max_capacity).tolist()                     # NaN (no bound) -> False
    unit_rows = has_units(pb).tolist()
    cost_rows = has_cost(pb).tolist()
    inst_current = instances(pb.current_capacity, pb)
    inst_recommended = instances(core.recommended, pb)

    columns = zip(
        ACTIONS[core.action].tolist(), URGENCIES[core.urgency].tolist(),
        capacity_list(pb.current_capacity), capacity_list(core.recommended), capacity_list(core.change),
        round_list(core.change_percent, PERCENT_DECIMALS),
        round_list(core.max_load, LOAD_DECIMALS), round_list(core.avg_load, LOAD_DECIMALS),
        round_list(core.min_load, LOAD_DECIMALS), round_list(core.max_util, UTILIZATION_DECIMALS),
        round_list(core.avg_util, UTILIZATION_DECIMALS), round_list(core.p90_max_load, LOAD_DECIMALS),
        stamps_peak.tolist(), peak_loads, peak_upper, peak_utils, core.peak_hour_count.tolist(),
        round_list(core.sizing_peak, LOAD_DECIMALS), stamp_sizing, core.sizing_peak_hour.tolist(),
        round_list(core.sizing_peak_util, UTILIZATION_DECIMALS), capacity_list(core.required),
        round_list(core.band_top, LOAD_DECIMALS), core.first_full_hour.tolist(),
        pb.scaling_threshold.tolist(), pb.headroom.tolist(), pb.hysteresis.tolist(), pb.quantile.tolist(),
        capacity_list(core.down_target),
    )
    out = []
    for i, (action, urgency, current, recommended, change, change_pct, max_load, avg_load, min_load,
            max_util, avg_util, p90_max, stamps, loads, uppers, utils, count, peak, peak_stamp,
            peak_hour, peak_util, required, band_top, first_full, thr, headroom, hysteresis, quantile,
            down_target) in enumerate(columns):
        band = "p90" if quantile > 0.7 else "median"
        message, reasons = explain(action, urgency, current, recommended, change, change_pct, band, peak,
                                   peak_stamp, peak_hour, hours, peak_util, required, band_top, first_full, thr,
                                   headroom, hysteresis, down_target)
        rec = Recommendation(
            action=action, urgency=urgency, current_capacity=current, recommended_capacity=recommended,
            capacity_change=change, capacity_change_percent=change_pct,
            metrics={"max_predicted_load": max_load, "avg_predicted_load": avg_load,
                     "min_predicted_load": min_load, "max_utilization": max_util,
                     "avg_utilization": avg_util, "max_p90_load": p90_max},
            peak_hours=[{"timestamp": s, "predicted_load": v, "upper": u, "utilization": r}
                        for s, v, u, r in zip(stamps[:count], loads[:count], uppers[:count], utils[:count])],
            message=message, reasons=reasons,
            sizing={"quantile": quantile, "peak_load": peak, "peak_timestamp": peak_stamp,
                    "peak_utilization": peak_util, "required_capacity": required,
                    "scale_down_above": band_top},
        )
        if over_max[i]:
            rec.reasons.append(f"required capacity {capacity_text(required)} exceeds max_capacity "
                               f"{capacity_text(float(pb.max_capacity[i]))}: the scaling schedule stops there")
        if unit_rows[i]:
            rec.instances = _instances_block(pb.unit_capacity[i], inst_current[i], inst_recommended[i])
        if cost_rows[i]:
            rec.cost = _cost_block(pb.unit_cost_per_hour[i], hours, inst_current[i], inst_recommended[i])
        out.append(rec)
    return out


def _instances_block(unit: float, current: float, recommended: float) -> dict:
    return {"unit_capacity": float(unit), "current": int(current), "recommended": int(recommended),
            "change": int(recommended - current)}


def _cost_block(unit_cost: float, hours: int, current: float, recommended: float) -> dict:
    per_period = unit_cost * hours
    return {"unit_cost_per_hour": float(unit_cost), "period_hours": hours,
            "current": round(float(current * per_period), LOAD_DECIMALS),
            "recommended": round(float(recommended * per_period), LOAD_DECIMALS),
            "change": round(float((recommended - current) * per_period), LOAD_DECIMALS)}
