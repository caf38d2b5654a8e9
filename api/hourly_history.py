"""A validated ``history`` (api.schemas) as an hourly series: bare numbers as they are, points resampled."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from api.schemas.fields import HistoryPoint, is_values
from jobs.hourly_series import hourly_series

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
    series = hourly_series(hours, loads)
    return HourlyHistory(series.values, EPOCH + timedelta(hours=series.last_hour), series.gaps_filled)
