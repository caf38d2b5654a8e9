"""Small builders shared by the planning tests."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from planning import Forecast, Plan

START = datetime(2024, 1, 15, 11)  # a Monday


def forecast(median, spread_down=0.9, spread_up=1.25, start=START) -> Forecast:
    """Forecast whose p10/p90 are fixed multiples of the median."""
    median = np.asarray(median, dtype=float)
    return Forecast(start=start, median=median, p10=median * spread_down, p90=median * spread_up)


def plan(**kwargs) -> Plan:
    return Plan.from_dict({"current_capacity": 5000, **kwargs})
