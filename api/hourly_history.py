"""A validated ``history`` (api.schemas) as an hourly series: bare numbers as they are, points resampled."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from api.schemas.fields import HistoryPoint, is_values

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class HourlyHistory:
    values: np.ndarray               # [T] float64, hourly, oldest first, finite, >= 0
    last_timestamp: datetime | None  # hour of the last value (naive UTC) when points gave it
    gaps_filled: int                 # hours missing between points, filled by linear interpolation


def hourly_history(history: list[float] | list[HistoryPoint]) -> HourlyHistory:
    """The hourly series of a history the schema has checked (non-empty, bounded, within a year)."""
    if is_values(history):
        return HourlyHistory(np.asarray(history, dtype=float), None, 0)
    return _resampled(history)


def _resampled(points: list[HistoryPoint]) -> HourlyHistory:
    """Mean of the points that fall in each hour, then linear interpolation over empty hours."""
    hour = timedelta(hours=1)
    hours = np.fromiter(((p.timestamp - EPOCH) // hour for p in points), np.int64, len(points))  # [P]
    loads = np.fromiter((p.load for p in points), float, len(points))                          # [P]
    first, last = int(hours.min()), int(hours.max())
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
        values[~seen] = np.interp(idx[~seen], idx[seen], values[seen])
    return HourlyHistory(values, EPOCH + timedelta(hours=last), gaps)
