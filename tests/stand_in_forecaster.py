"""A forecaster that answers at once: for tests and benchmarks of what a worker does around the network."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np


class StandInForecaster:
    """Daily-shaped forecasts scaled to each series' last value; no network, no backtest.

    Like a model handed a series it cannot take, a pass raises when any of its histories holds a negative
    number or NaN; ``passes`` records how many series each pass had.
    """

    info = {"name": "stand-in", "version": "0", "precision": "fp32"}

    def __init__(self):
        self.passes: list[int] = []

    def synthetic_history(self, current_load: float, last_timestamp, hours: int) -> np.ndarray:
        return np.full(hours, float(current_load))

    def forecast(self, histories, last_timestamps, hours_ahead) -> list:
        self.passes.append(len(histories))
        hours = [hours_ahead] * len(histories) if isinstance(hours_ahead, int) else list(hours_ahead)
        out = []
        for history, h in zip(histories, hours):
            if not (history >= 0).all():
                raise ValueError("a history holds a negative number or NaN")
            with np.errstate(over="ignore"):
                median = history[-1] * (1 + 0.5 * np.sin(np.arange(h) * 2 * np.pi / 24)) + 1.0   # [h]
                out.append(SimpleNamespace(median=median, p10=median * 0.9, p90=median * 1.2, method="stand_in",
                                           backtest=None, history_hours=len(history), padded_hours=0, notes=[]))
        return out
