"""Risk counts and levels at the median and at p90, vectorised over N plans (the original's rules)."""
from __future__ import annotations

import numpy as np

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
