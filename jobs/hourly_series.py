"""Observations at whole hours as an hourly series: the mean of each hour, empty hours interpolated.

The API resamples a request's {timestamp, load} points with it, and a worker the samples a history
source returned, so that a fetched history is exactly what the same points sent inline would have been.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HourlySeries:
    values: np.ndarray      # [span] float64, hourly, oldest first
    last_hour: int          # hours since the epoch of the last value
    gaps_filled: int        # empty hours between the first and the last, filled by linear interpolation


def hourly_series(hours: np.ndarray, loads: np.ndarray, last_hour: int | None = None) -> HourlySeries:
    """hours [P] (integer hours since the epoch, any order, repeats averaged) and loads [P] -> the series
    from the first hour to ``last_hour`` (default: the last observed one); hours after the last
    observation up to ``last_hour`` count as gaps too, and take the last value."""
    first = int(hours.min())
    last = int(hours.max()) if last_hour is None else max(int(last_hour), int(hours.max()))
    span = last - first + 1
    slot = hours - first                                            # [P] in 0..span-1
    sums = np.bincount(slot, weights=loads, minlength=span)         # [span]
    counts = np.bincount(slot, minlength=span)                      # [span]
    seen = counts > 0
    values = np.zeros(span)
    values[seen] = sums[seen] / counts[seen]
    gaps = int(span - seen.sum())
    if gaps:
        idx = np.arange(span)
        values[~seen] = np.interp(idx[~seen], idx[seen], values[seen])   # constant beyond the last point
    return HourlySeries(values, last, gaps)
