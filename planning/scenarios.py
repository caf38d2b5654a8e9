"""The original's four static scenarios, each checked against the p90 and priced when units are given."""
from __future__ import annotations

import numpy as np

from planning.forecast import ForecastBatch
from planning.plan import PlanBatch
from planning.rounding import LOAD_DECIMALS, PERCENT_DECIMALS, capacity_list, round_list
from planning.sizing import RecommendationCore, ceil_capacity
from planning.units import has_cost, has_units, instances, static_cost

SCENARIOS = ("conservative", "balanced", "aggressive", "average_based")
DESCRIPTIONS = {
    "conservative": "p90 peak / threshold x 1.2 (20% buffer above the p90 peak)",
    "balanced": "p90 peak / threshold x 1.1 (10% buffer above the p90 peak)",
    "aggressive": "median peak / threshold (exact capacity for the median peak, no buffer)",
    "average_based": "average median load / threshold x 1.5 (the original's average-based sizing)",
}
COST_IMPACT_MEDIUM_UP_TO = 1.2  # capacity <= current: low; <= 1.2 x current: medium; above: high


def scenario_arrays(fb: ForecastBatch, pb: PlanBatch, core: RecommendationCore) -> dict[str, np.ndarray]:
    """Capacities [N, 4] (SCENARIOS order) and the p90 hours each leaves over the threshold and over 100%."""
    thr = pb.scaling_threshold
    p90_peak = core.p90_max_load
    raw = np.stack([p90_peak / thr * 1.2, p90_peak / thr * 1.1, core.max_load / thr,
                    core.avg_load / thr * 1.5], axis=1)                # [N, 4]
    capacity = np.maximum(ceil_capacity(raw), 1.0)
    p90 = fb.p90[:, None, :]                                           # [N, 1, H]
    return {
        "capacity": capacity,
        "over_threshold": (p90 > (capacity * thr[:, None])[:, :, None]).sum(axis=2),   # [N, 4]
        "over_capacity": (p90 > capacity[:, :, None]).sum(axis=2),                     # [N, 4]
    }


def scenario_dicts(fb: ForecastBatch, pb: PlanBatch, arrays: dict[str, np.ndarray],
                   static_capacity: np.ndarray) -> list[dict]:
    """One scaling_scenarios dict per plan; savings are against holding static_capacity [N] all period."""
    capacity = arrays["capacity"]                                                   # [N, 4]
    ratio = capacity / pb.current_capacity[:, None]
    impact = np.where(ratio <= 1.0, "low", np.where(ratio <= COST_IMPACT_MEDIUM_UP_TO, "medium", "high"))
    columns = []                                                                    # one list of dicts per scenario
    for j, name in enumerate(SCENARIOS):
        description = DESCRIPTIONS[name]
        columns.append([
            {"capacity": cap, "description": description, "cost_impact": imp, "capacity_change_percent": pct,
             "p90_hours_over_threshold": over, "p90_hours_over_capacity": full,
             "warning": f"leaves {over} hours over the threshold and {full} over 100% at p90" if over else None}
            for cap, imp, pct, over, full in zip(
                capacity_list(capacity[:, j]), impact[:, j].tolist(),
                round_list((ratio[:, j] - 1.0) * 100.0, PERCENT_DECIMALS),
                arrays["over_threshold"][:, j].tolist(), arrays["over_capacity"][:, j].tolist())])
    out = [dict(zip(SCENARIOS, row)) for row in zip(*columns)]
    _add_units_and_cost(fb, pb, capacity, static_capacity, out)
    return out


def _add_units_and_cost(fb, pb, capacity, static_capacity, out) -> None:
    """Instances and cost for the plans that give unit fields (others are left as they are)."""
    unit_rows, cost_rows = has_units(pb), has_cost(pb)
    if not (unit_rows.any() or cost_rows.any()):
        return
    inst = instances(capacity, pb)                                                  # [N, 4]
    cost = inst * (pb.unit_cost_per_hour * fb.hours)[:, None]                       # [N, 4]
    saving = static_cost(static_capacity, pb, fb.hours)[:, None] - cost
    for i in np.nonzero(unit_rows | cost_rows)[0].tolist():
        for j, name in enumerate(SCENARIOS):
            scenario = out[i][name]
            if unit_rows[i]:
                scenario["instances"] = int(inst[i, j])
            if cost_rows[i]:
                scenario["cost"] = round(float(cost[i, j]), LOAD_DECIMALS)
                scenario["saving_vs_static_peak"] = round(float(saving[i, j]), LOAD_DECIMALS)
