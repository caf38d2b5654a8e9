"""Average median load by hour of day and by day of week, from each plan's own timestamps."""
from __future__ import annotations

import numpy as np

from planning.forecast import ForecastBatch
from planning.rounding import LOAD_DECIMALS
from planning.rows import dict_rows

HOUR_KEYS = [str(h) for h in range(24)]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DAY_NAMES = np.array(DAY_NAMES)
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def _by_hour_of_day(median: np.ndarray, hour0: np.ndarray) -> np.ndarray:
    """[N, 24] mean per hour of day: hour k of plan i falls on (hour0[i] + k) % 24."""
    n, h = median.shape
    days = -(-h // 24)
    padded = np.zeros((n, days * 24))
    padded[:, :h] = median
    sums = padded.reshape(n, days, 24).sum(axis=1)                 # [N, 24] by offset k % 24
    counts = np.bincount(np.arange(h) % 24, minlength=24)          # [24] the same for every plan
    with np.errstate(invalid="ignore"):
        means = sums / counts                                      # NaN where the offset never occurs
    out = np.empty_like(means)
    np.put_along_axis(out, (hour0[:, None] + np.arange(24)) % 24, means, axis=1)
    return out


def _by_day_of_week(median: np.ndarray, hour0: np.ndarray) -> np.ndarray:
    """[N, 7] mean per weekday (Monday = 0), from running sums cut at each plan's midnights."""
    n, h = median.shape
    running = np.zeros((n, h + 1))
    np.cumsum(median, axis=1, out=running[:, 1:])
    first = hour0 % 24                                             # [N] hour of day of hour 0
    weekday0 = (hour0 // 24 + _EPOCH_WEEKDAY) % 7                   # [N] weekday of hour 0
    sums, counts = np.zeros((n, 7)), np.zeros((n, 7))
    rows = np.arange(n)
    for day in range(-(-(h + 23) // 24)):                          # calendar days the horizon touches
        lo = np.clip(24 * day - first, 0, h)
        hi = np.clip(24 * (day + 1) - first, 0, h)
        weekday = (weekday0 + day) % 7
        sums[rows, weekday] += running[rows, hi] - running[rows, lo]
        counts[rows, weekday] += hi - lo
    with np.errstate(invalid="ignore"):
        return sums / counts


def hourly_pattern_arrays(fb: ForecastBatch) -> dict[str, np.ndarray]:
    """by_hour [N, 24], by_day [N, 7] (NaN where absent) and the peak/low hour and day [N]."""
    hour0 = fb.start.astype("datetime64[h]").astype(np.int64)            # [N] hours since epoch
    by_hour = _by_hour_of_day(fb.median, hour0)
    by_day = _by_day_of_week(fb.median, hour0)
    return {
        "by_hour": by_hour, "by_day": by_day,
        "peak_hour": np.argmax(np.where(np.isnan(by_hour), -np.inf, by_hour), axis=1),
        "low_hour": np.argmin(np.where(np.isnan(by_hour), np.inf, by_hour), axis=1),
        "peak_day": np.argmax(np.where(np.isnan(by_day), -np.inf, by_day), axis=1),
        "low_day": np.argmin(np.where(np.isnan(by_day), np.inf, by_day), axis=1),
    }


def hourly_pattern_dicts(arrays: dict[str, np.ndarray]) -> list[dict]:
    """One hourly_patterns dict per plan; hours or days the forecast does not cover are left out."""
    by_hour = np.round(arrays["by_hour"], LOAD_DECIMALS)
    by_day = np.round(arrays["by_day"], LOAD_DECIMALS)
    complete = (~np.isnan(by_hour).any(axis=1) & ~np.isnan(by_day).any(axis=1)).tolist()
    hour_means, day_means = [], []
    for hours, days, whole in zip(by_hour.tolist(), by_day.tolist(), complete):
        if whole:
            hour_means.append(dict(zip(HOUR_KEYS, hours)))
            day_means.append(dict(zip(DAY_NAMES, days)))
        else:
            hour_means.append({k: v for k, v in zip(HOUR_KEYS, hours) if v == v})   # v != v: NaN, not covered
            day_means.append({k: v for k, v in zip(DAY_NAMES, days) if v == v})
    return dict_rows(
        peak_hour=arrays["peak_hour"].tolist(), low_hour=arrays["low_hour"].tolist(),
        peak_day=_DAY_NAMES[arrays["peak_day"]].tolist(), low_day=_DAY_NAMES[arrays["low_day"]].tolist(),
        avg_load_by_hour=hour_means, avg_load_by_day=day_means)
