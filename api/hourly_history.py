"""Turn a request's ``history`` into an hourly series: a list of numbers, or {timestamp, load} points."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from capplan.errors import InvalidRequest

MAX_HISTORY_HOURS = 8760
MAX_HISTORY_POINTS = 4 * MAX_HISTORY_HOURS
# A forecast reaches a week past its timestamp, and the TS_FORMAT text of each hour must parse back.
MIN_YEAR, MAX_YEAR = 1000, 9998


@dataclass(frozen=True)
class HourlyHistory:
    values: np.ndarray             # [T] float64, hourly, oldest first, finite, >= 0
    last_timestamp: datetime | None  # hour of the last value (naive UTC) when points gave it
    gaps_filled: int               # hours missing between points, filled by linear interpolation


def parse_timestamp(raw, field: str = "timestamp") -> datetime:
    """ISO-8601 text to a naive UTC datetime, floored to the hour."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRequest.field(field, "must be an ISO-8601 date-time such as 2024-01-15T10:00:00")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)   # OverflowError at year 1 or 9999
    except (ValueError, OverflowError):
        raise InvalidRequest.field(field, "must be an ISO-8601 date-time such as 2024-01-15T10:00:00") from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise InvalidRequest.field(field, f"must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return when.replace(minute=0, second=0, microsecond=0)


def parse_load(raw, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InvalidRequest.field(field, "must be a number")
    value = float(raw)
    if not math.isfinite(value):
        raise InvalidRequest.field(field, "must be finite (not NaN or infinite)")
    if value < 0:
        raise InvalidRequest.field(field, "must be >= 0")
    return value


def parse_history(raw, field: str = "history") -> HourlyHistory:
    """Validate and resample ``raw``; every error names the offending field (``history[3].load``)."""
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest.field(field, "must be a non-empty list of numbers or of {timestamp, load} points")
    if isinstance(raw[0], dict):
        return _from_points(raw, field)
    if len(raw) > MAX_HISTORY_HOURS:
        raise InvalidRequest.field(field, f"at most {MAX_HISTORY_HOURS} hourly values")
    return HourlyHistory(_numbers(raw, field), None, 0)


def _numbers(raw: list, field: str) -> np.ndarray:
    """[T] float64 of JSON numbers, checked in bulk; value by value only to name the first bad one.

    A batch may carry a million history values, and a Python call per value would cost ~1 s of the
    API's time; ``type`` (not isinstance) keeps booleans out of the bulk path.
    """
    if set(map(type, raw)) <= {int, float}:
        try:
            values = np.array(raw, dtype=float)                        # [T]
        except OverflowError:
            values = None                                              # an integer past float's range
        if values is not None and np.isfinite(values).all() and (values >= 0).all():
            return values
    return np.fromiter((parse_load(v, f"{field}[{i}]") for i, v in enumerate(raw)), float, len(raw))


def _from_points(raw: list, field: str) -> HourlyHistory:
    if len(raw) > MAX_HISTORY_POINTS:
        raise InvalidRequest.field(field, f"at most {MAX_HISTORY_POINTS} points")
    hours = np.empty(len(raw), dtype=np.int64)  # [P] hours since the epoch
    loads = np.empty(len(raw), dtype=float)     # [P]
    epoch = datetime(1970, 1, 1)
    for i, point in enumerate(raw):
        if not isinstance(point, dict):
            raise InvalidRequest.field(f"{field}[{i}]", "must be a {timestamp, load} object like the others")
        when = parse_timestamp(point.get("timestamp"), f"{field}[{i}].timestamp")
        hours[i] = (when - epoch) // timedelta(hours=1)
        loads[i] = parse_load(point.get("load"), f"{field}[{i}].load")
    first, last = int(hours.min()), int(hours.max())
    span = last - first + 1
    if span > MAX_HISTORY_HOURS:
        raise InvalidRequest.field(field, f"points span {span} hours; at most {MAX_HISTORY_HOURS}")
    # Mean of the points that fall in each hour, then linear interpolation over empty hours.
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
    return HourlyHistory(values, epoch + timedelta(hours=last), gaps)
