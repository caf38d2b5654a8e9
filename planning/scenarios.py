"""The original's four static scenarios, each checked against the p90 and priced when units are given."""
from __future__ import annotations

import numpy as np

from planning.forecast import ForecastBatch
from planning.plan import PlanBatch
from planning.rounding import LOAD_DECIMALS, PERCENT_DECIMALS, capacity_list, round_list
from planning.sizing import ceil_capacity
from planning.units import has_cost, has_units, instances, static_cost

SCENARIOS = ("conservative", "balanced", "aggressive", "average_based")
DESCRIPTIONS = {
    "conservative": "p90 peak / threshold x 1.2 (20% buffer above the p90 peak)",
    "balanced": "p90 peak / threshold x 1.1 (10% buffer above the p90 peak)",
    "aggressive": "median peak / threshold (exact capacity for the median peak, no buffer)",
    "average_based": "average median load / threshold x 1.5 (the original's average-based sizing)",
}
COST_IMPACT_MEDIUM_UP_TO = 1.2  # capacity <= current: low; <= 1.2 x current: medium; above: high


def scenario_arrays(fb: ForecastBatch, pb: PlanBatch) -> dict[str, np.ndarray]:
    """Capacities [N, 4] (SCENARIOS order) and the p90 hours each leaves over the threshold and over 100%."""
    thr = pb.scaling_threshold
    p90_peak = fb.p90.max(axis=1)
    raw = np.stack([p90_peak / thr * 1.2, p90_peak / thr * 1.1, fb.median.max(axis=1) / thr,
                    fb.median.mean(axis=1) / thr * 1.5], axis=1)       # [N, 4]
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
    capacity = arrays["capacity"]
    current = pb.current_capacity[:, None]
    ratio = capacity / current
    impact = np.where(ratio <= 1.0, "low", np.where(ratio <= COST_IMPACT_MEDIUM_UP_TO, "medium", "high"))
    change_pct = round_list((ratio - 1.0) * 100.0, PERCENT_DECIMALS)
    flat_caps = capacity_list(capacity.ravel())
    caps = [flat_caps[i:i + len(SCENARIOS)] for i in range(0, len(flat_caps), len(SCENARIOS))]
    unit_rows, cost_rows = has_units(pb), has_cost(pb)
    inst = instances(capacity, pb)
    cost = inst * (pb.unit_cost_per_hour * fb.hours)[:, None]                       # [N, 4]
    saving = static_cost(static_capacity, pb, fb.hours)[:, None] - cost
    over_thr, over_cap = arrays["over_threshold"].tolist(), arrays["over_capacity"].tolist()
    out = []
    for i, (cap_row, impact_row, pct_row, thr_row, cap100_row) in enumerate(
            zip(caps, impact.tolist(), change_pct, over_thr, over_cap)):
        plan_scenarios = {}
        for j, name in enumerate(SCENARIOS):
            scenario = {
                "capacity": cap_row[j], "description": DESCRIPTIONS[name], "cost_impact": impact_row[j],
                "capacity_change_percent": pct_row[j],
                "p90_hours_over_threshold": thr_row[j], "p90_hours_over_capacity": cap100_row[j],
                "warning": (f"leaves {thr_row[j]} hours over the threshold and {cap100_row[j]} over 100% at p90"
                            if thr_row[j] else None),
            }
            if unit_rows[i]:
                scenario["instances"] = int(inst[i, j])
            if cost_rows[i]:
                scenario["cost"] = round(float(cost[i, j]), LOAD_DECIMALS)
                scenario["saving_vs_static_peak"] = round(float(saving[i, j]), LOAD_DECIMALS)
            plan_scenarios[name] = scenario
        out.append(plan_scenarios)
    return out
