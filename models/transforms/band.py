"""The band made honest by the backtest week: the network's p10/p90 scaled to hold 80% of it, or, for a
forecast that gives no band of its own, the 10th and 90th percentiles of its backtest errors.
"""
from __future__ import annotations

import numpy as np

from models.forecast import QuantileForecast, SeriesBatch
from models.notes import Note
from models.scoring import Backtests, coverage, widen


def residual_band(median: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median [.., H] plus the 10th / 90th percentile of past errors [.., E] (actual - forecast), kept around it."""
    low, high = np.quantile(errors, (0.1, 0.9), axis=-1)
    low, high = np.minimum(low, 0.0), np.maximum(high, 0.0)
    if median.ndim > 1:
        low, high = low[:, None], high[:, None]
    return np.maximum(median + low, 0.0), median + high


def daily_changes(values: np.ndarray) -> np.ndarray:
    return values[24:] - values[:-24] if len(values) > 24 else np.zeros(1)


class BandCalibration:
    """Calibrates the forecast rows [N] of the serving forecaster from its backtest rows."""

    def apply(self, forecast: QuantileForecast, batch: SeriesBatch, scores: Backtests | None,
              gives_band: bool) -> tuple[QuantileForecast, list[list[Note]]]:
        """The calibrated rows and the notes each series gets; ``scores.coverage`` follows a residual band."""
        n = batch.size
        p10, median, p90 = forecast.p10[:n], forecast.median[:n], forecast.p90[:n]
        notes: list[list[Note]] = [[] for _ in range(n)]
        if gives_band:
            factor = np.ones(n)
            if scores is not None:
                factor[batch.backtested] = scores.band_scale
            p10, p90 = widen(p10, median, p90, factor[:, None])
            return QuantileForecast(p10, median, p90, forecast.method[:n]), notes
        p10, p90 = p10.copy(), p90.copy()
        row = {i: j for j, i in enumerate(batch.backtested)}
        for i, values in enumerate(batch.histories):
            if i not in row:
                p10[i], p90[i] = residual_band(median[i], daily_changes(values))
                notes[i].append(Note("band_from_daily_changes"))
                continue
            j = row[i]
            past, actual = forecast.median[n + j], scores.actual[j]
            p10[i], p90[i] = residual_band(median[i], actual - past)
            scores.coverage[j] = float(coverage(actual, *residual_band(past, actual - past)))
            notes[i].append(Note("band_from_backtest_errors"))
        return QuantileForecast(p10, median, p90, forecast.method[:n]), notes
