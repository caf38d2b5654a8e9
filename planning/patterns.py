"""Average median load by hour of day and by day of week, from each plan's own timestamps."""
from __future__ import annotations

import numpy as np

from planning.forecast import ForecastBatch
from planning.rounding import LOAD_DECIMALS

HOUR_KEYS = [str(h) for h in range(24)]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def _group_means(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """[N, G] mean of values [N, H] per group id [N, H]; NaN where a plan has no hour in a group."""
    n = values.shape[0]
    flat = (np.arange(n)[:, None] * n_groups + groups).ravel()
    sums = np.bincount(flat, weights=values.ravel(), minlength=n * n_groups).reshape(n, n_groups)
    counts = np.bincount(flat, minlength=n * n_groups).reshape(n, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def hourly_pattern_arrays(fb: ForecastBatch) -> dict[str, np.ndarray]:
    """by_hour [N, 24], by_day [N, 7] (NaN where absent) and the peak/low hour and day [N]."""
    hour0 = fb.start.astype("datetime64[h]").astype(np.int64)            # [N] hours since epoch
    abs_hour = hour0[:, None] + np.arange(fb.hours)                      # [N, H]
    by_hour = _group_means(fb.median, abs_hour % 24, 24)
    by_day = _group_means(fb.median, (abs_hour // 24 + _EPOCH_WEEKDAY) % 7, 7)
    return {
        "by_hour": by_hour, "by_day": by_day,
        "peak_hour": np.argmax(np.where(np.isnan(by_hour), -np.inf, by_hour), axis=1),
        "low_hour": np.argmin(np.where(np.isnan(by_hour), np.inf, by_hour), axis=1),
        "peak_day": np.argmax(np.where(np.isnan(by_day), -np.inf, by_day), axis=1),
        "low_day": np.argmin(np.where(np.isnan(by_day), np.inf, by_day), axis=1),
    }


def hourly_pattern_dicts(arrays: dict[str, np.ndarray]) -> list[dict]:
    """One hourly_patterns dict per plan; hours or days the forecast does not cover are left out."""
    by_hour = np.round(arrays["by_hour"], LOAD_DECIMALS).tolist()
    by_day = np.round(arrays["by_day"], LOAD_DECIMALS).tolist()
    out = []
    for hours, days, peak_h, low_h, peak_d, low_d in zip(
            by_hour, by_day, arrays["peak_hour"].tolist(), arrays["low_hour"].tolist(),
            arrays["peak_day"].tolist(), arrays["low_day"].tolist()):
        out.append({
            "peak_hour": peak_h, "low_hour": low_h,
            "peak_day": DAY_NAMES[peak_d], "low_day": DAY_NAMES[low_d],
            "avg_load_by_hour": {k: v for k, v in zip(HOUR_KEYS, hours) if v == v},
            "avg_load_by_day": {k: v for k, v in zip(DAY_NAMES, days) if v == v},
        })
    return out
