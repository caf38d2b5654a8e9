"""Risk counts and levels at the median and at p90 for N plans (the original's rules), and the per-plan dicts."""
from __future__ import annotations

import numpy as np

from planning.rows import dict_rows
from planning.sizing import CRITICAL_UTILIZATION

UNDER_UTILIZED = 0.3
RISK_LEVELS = np.array(["low", "medium", "high", "critical"])
CRITICAL_SHARE = 0.10     # critical when more than 10% of hours are critical
HIGH_OVER_SHARE = 0.20    # high when more than 20% of hours are over the threshold
MEDIUM_OVER_SHARE = 0.05  # medium when more than 5% are


def risk_counts(load: np.ndarray, capacity: np.ndarray, threshold: np.ndarray) -> dict[str, np.ndarray]:
    """Hours critical (>= 0.95), over the threshold (>=), under-utilised (< 0.3) and the level; all [N]."""
    util = load / capacity[:, None]                                        # [N, H]
    critical = (util >= CRITICAL_UTILIZATION).sum(axis=1)
    over = (util >= threshold[:, None]).sum(axis=1)
    under = (util < UNDER_UTILIZED).sum(axis=1)
    hours = load.shape[1]
    level = np.select(
        [critical > CRITICAL_SHARE * hours, over > HIGH_OVER_SHARE * hours, over > MEDIUM_OVER_SHARE * hours],
        [3, 2, 1], default=0)
    return {"critical_hours": critical, "over_capacity_hours": over, "under_utilized_hours": under,
            "level": level, "over_100_hours": (util > 1.0).sum(axis=1)}


def risk_dicts(median: dict[str, np.ndarray], p90: dict[str, np.ndarray], hours: int) -> list[dict]:
    """One risk_assessment dict per plan from risk_counts at the median and at the p90 over `hours` hours."""
    return dict_rows(
        risk_level=RISK_LEVELS[median["level"]].tolist(), critical_hours=median["critical_hours"].tolist(),
        over_capacity_hours=median["over_capacity_hours"].tolist(),
        under_utilized_hours=median["under_utilized_hours"].tolist(),
        p90_risk_level=RISK_LEVELS[p90["level"]].tolist(), p90_critical_hours=p90["critical_hours"].tolist(),
        p90_over_capacity_hours=p90["over_capacity_hours"].tolist(),
        p90_under_utilized_hours=p90["under_utilized_hours"].tolist(),
        p90_over_100_percent_hours=p90["over_100_hours"].tolist(), hours=[hours] * len(median["level"]))
