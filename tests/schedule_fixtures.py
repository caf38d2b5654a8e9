"""Schedules made by planning itself, for the export tests: real analyses of seeded forecasts."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from planning import Forecast, Plan, analyze, to_jsonable

DAILY = 2 * np.pi / 24


def analysis_result(start: datetime = datetime(2026, 12, 7), hours: int = 168, seed: int = 0,
                    flapping: bool = False, **plan) -> dict:
    """An analysis job's result body (the parts the exports read) for a daily-cycle forecast."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    if flapping:                              # up and down every hour: a change every hour
        median = np.where(t % 2 == 0, 4000.0, 500.0)
    else:
        median = 2000 + 1500 * np.sin(t * DAILY) ** 2 + rng.uniform(0, 200, hours)
    p90 = np.round(median * 1.25, 2)
    options = {"current_capacity": 3000, "unit_capacity": 250, **plan}
    analysis = to_jsonable(analyze(Forecast(start=start, median=median, p10=median * 0.8, p90=p90),
                                   Plan.from_dict(options)), strict=True)
    return {"success": True, "analysis": analysis,
            "forecast": {"forecast": [{"upper": float(x)} for x in p90]}}
