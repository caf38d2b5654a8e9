"""Totals, risk counts and rankings across many analysed plans (batch analysis)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from planning.analysis import Analysis
from planning.gc_pause import gc_paused
from planning.rounding import LOAD_DECIMALS

_RISK_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_URGENCY_RANK = _RISK_RANK


@dataclass(slots=True)
class Portfolio:
    """What a batch of plans adds up to, and which plans to look at first."""

    plans: int
    totals: dict
    risk_counts: dict
    p90_risk_counts: dict
    action_counts: dict
    urgency_counts: dict
    ranked_by_risk: list
    ranked_by_saving: list


def _counts(values, names) -> dict:
    counter = Counter(values)
    return {name: counter.get(name, 0) for name in names}


@gc_paused
def build_portfolio(ids: Sequence[str], analyses: Sequence[Analysis], top: int | None = None) -> Portfolio:
    """Sum and rank analyses; `top` keeps only the first entries of each ranking (None: all)."""
    if len(ids) != len(analyses):
        raise ValueError(f"{len(ids)} ids for {len(analyses)} analyses")
    rows = []
    cost_keys = ("current", "recommended", "static_peak", "schedule")
    cost_totals = dict.fromkeys(cost_keys, 0.0)
    plans_with_cost = 0
    for plan_id, a in zip(ids, analyses):
        rec, risk, sched = a.recommendations, a.risk_assessment, a.scaling_schedule
        hours = a.summary["forecast_period_hours"]
        saving_cost = None
        if a.cost is not None:
            plans_with_cost += 1
            for key in cost_keys:
                cost_totals[key] += a.cost[key]
            saving_cost = round(a.cost["current"] - a.cost["recommended"], LOAD_DECIMALS)
        rows.append({
            "id": plan_id, "risk_level": risk["risk_level"], "p90_risk_level": risk["p90_risk_level"],
            "critical_hours": risk["critical_hours"], "over_capacity_hours": risk["over_capacity_hours"],
            "p90_over_capacity_hours": risk["p90_over_capacity_hours"],
            "max_utilization": rec.metrics["max_utilization"], "action": rec.action, "urgency": rec.urgency,
            "current_capacity": rec.current_capacity, "recommended_capacity": rec.recommended_capacity,
            "saving_capacity_hours": round(-rec.capacity_change * hours, LOAD_DECIMALS),
            "saving_cost": saving_cost,
            "schedule_saving_capacity_hours": sched["saving_capacity_hours"],
            "_sched_hours": sched["capacity_hours"], "_static_hours": sched["static_capacity_hours"],
        })

    def risk_key(r):
        return (-_RISK_RANK[r["risk_level"]], -_RISK_RANK[r["p90_risk_level"]], -_URGENCY_RANK[r["urgency"]],
                -r["critical_hours"], -r["p90_over_capacity_hours"], -r["max_utilization"])

    def saving_key(r):
        has_cost = r["saving_cost"] is not None
        return (not has_cost, -(r["saving_cost"] if has_cost else 0.0), -r["saving_capacity_hours"])

    totals = {
        "current_capacity": round(sum(r["current_capacity"] for r in rows), LOAD_DECIMALS),
        "recommended_capacity": round(sum(r["recommended_capacity"] for r in rows), LOAD_DECIMALS),
        "schedule_capacity_hours": round(sum(r.pop("_sched_hours") for r in rows), LOAD_DECIMALS),
        "static_capacity_hours": round(sum(r.pop("_static_hours") for r in rows), LOAD_DECIMALS),
        "plans_with_cost": plans_with_cost,
        "cost": ({k: round(v, LOAD_DECIMALS) for k, v in cost_totals.items()} if plans_with_cost else None),
    }
    totals["capacity_change"] = round(totals["recommended_capacity"] - totals["current_capacity"], LOAD_DECIMALS)
    by_risk = sorted(rows, key=risk_key)
    by_saving = sorted(rows, key=saving_key)
    if top is not None:
        by_risk, by_saving = by_risk[:top], by_saving[:top]
    return Portfolio(
        plans=len(rows), totals=totals,
        risk_counts=_counts((r["risk_level"] for r in rows), _RISK_RANK),
        p90_risk_counts=_counts((r["p90_risk_level"] for r in rows), _RISK_RANK),
        action_counts=_counts((r["action"] for r in rows), ("scale_up", "scale_down", "maintain")),
        urgency_counts=_counts((r["urgency"] for r in rows), _URGENCY_RANK),
        ranked_by_risk=by_risk, ranked_by_saving=by_saving)
