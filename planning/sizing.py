"""Vectorised recommendation core: sizing, action, urgency, metrics and peak hours for N plans."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.forecast import ForecastBatch
from planning.plan import PlanBatch

CRITICAL_UTILIZATION = 0.95   # the original's "critical" line
URGENT_WITHIN_HOURS = 6       # >= 100% this soon -> critical urgency
PEAK_BAND = 0.9               # peak hours: at or above 90% of the forecast peak
PEAK_HOURS_MAX = 10

ACTIONS = np.array(["maintain", "scale_up", "scale_down"])
MAINTAIN, SCALE_UP, SCALE_DOWN = 0, 1, 2
URGENCIES = np.array(["low", "medium", "high", "critical"])

# Relative slack so that 1000 / 0.8 * 1.1 = 1375.0000000000002 still rounds up to 1375, not 1376.
_CEIL_SLACK = 1e-12


def ceil_capacity(raw: np.ndarray) -> np.ndarray:
    """Round a capacity up to a whole load unit, ignoring floating-point dust."""
    return np.ceil(raw * (1 - _CEIL_SLACK))


def sizes_on_p90(pb: PlanBatch) -> np.ndarray:
    """[N] bool: the plan sizes on the p90 (quantile 0.9, the default), else on the median (quantile 0.5)."""
    return pb.quantile > 0.7


def sizing_load(fb: ForecastBatch, pb: PlanBatch) -> np.ndarray:
    """The band each plan sizes on, hour by hour."""
    return np.where(sizes_on_p90(pb)[:, None], fb.p90, fb.median)  # [N, H]


@dataclass(frozen=True, slots=True)
class RecommendationCore:
    """Every number a Recommendation reports, as arrays over N plans."""

    action: np.ndarray               # [N] int: MAINTAIN | SCALE_UP | SCALE_DOWN
    urgency: np.ndarray              # [N] int index into URGENCIES
    required_raw: np.ndarray         # [N] peak / threshold * (1 + headroom), unrounded
    required: np.ndarray             # [N] ceil(required_raw)
    down_target: np.ndarray          # [N] max(required, 1, ceil(min_capacity))
    band_top: np.ndarray             # [N] required_raw * (1 + hysteresis): scale down only above it
    recommended: np.ndarray          # [N]
    change: np.ndarray               # [N] recommended - current
    change_percent: np.ndarray       # [N]
    sizing_peak: np.ndarray          # [N] peak of the sizing band
    sizing_peak_hour: np.ndarray     # [N] int hour index of that peak
    sizing_peak_util: np.ndarray     # [N] sizing_peak / current
    first_full_hour: np.ndarray      # [N] int first hour with sizing utilisation >= 1, -1 if none
    max_load: np.ndarray             # [N] median statistics
    avg_load: np.ndarray
    min_load: np.ndarray
    max_util: np.ndarray
    avg_util: np.ndarray
    p90_max_load: np.ndarray         # [N]
    peak_hour_idx: np.ndarray        # [N, K] hour indices of the peak hours, highest load first
    peak_hour_count: np.ndarray      # [N] how many of the K columns are real peak hours


def recommend_core(fb: ForecastBatch, pb: PlanBatch) -> RecommendationCore:
    """Size, decide and rate urgency for all N plans at once."""
    cap = pb.current_capacity                                    # [N]
    thr = pb.scaling_threshold                                   # [N]
    load = sizing_load(fb, pb)                                   # [N, H]
    rows = np.arange(len(cap))

    peak_hour = np.argmax(load, axis=1)                          # [N]
    peak = load[rows, peak_hour]                                 # [N]
    # Float-dust slack towards keeping the current capacity: 6875 is enough for 5000 / 0.8 x 1.1
    # (= 6875.000000000001), and 1320 is not above 1100 x 1.2 (= 1320.0000000000002).
    exact = peak / thr * (1 + pb.headroom)
    required_raw = exact * (1 - _CEIL_SLACK)
    required = np.ceil(required_raw)
    # Never size below one load unit (an all-zero forecast) nor below min_capacity (NaN when not given).
    down_target = np.fmax(np.maximum(required, 1.0), ceil_capacity(pb.min_capacity))
    band_top = exact * (1 + pb.hysteresis) * (1 + _CEIL_SLACK)

    scale_up = cap < required_raw
    scale_down = ~scale_up & (cap > band_top) & (down_target < cap)
    action = np.where(scale_up, SCALE_UP, np.where(scale_down, SCALE_DOWN, MAINTAIN))
    recommended = np.where(scale_up, required, np.where(scale_down, down_target, cap))
    change = recommended - cap

    util = load / cap[:, None]                                   # [N, H]
    full = util >= 1.0                                           # [N, H]
    first_full = np.where(full.any(axis=1), np.argmax(full, axis=1), -1)
    peak_util = peak / cap
    urgency = np.select(
        [(first_full >= 0) & (first_full < URGENT_WITHIN_HOURS), peak_util >= CRITICAL_UTILIZATION,
         peak_util >= thr],
        [3, 2, 1], default=0)

    median = fb.median
    max_load = median.max(axis=1)
    avg_load = median.mean(axis=1)
    peak_idx, peak_count = _peak_hours(median, max_load)
    return RecommendationCore(
        action=action, urgency=urgency, required_raw=required_raw, required=required,
        down_target=down_target, band_top=band_top, recommended=recommended, change=change,
        change_percent=change / cap * 100.0, sizing_peak=peak, sizing_peak_hour=peak_hour,
        sizing_peak_util=peak_util, first_full_hour=first_full, max_load=max_load, avg_load=avg_load,
        min_load=median.min(axis=1), max_util=max_load / cap, avg_util=avg_load / cap,
        p90_max_load=fb.p90.max(axis=1), peak_hour_idx=peak_idx, peak_hour_count=peak_count)


def _peak_hours(median: np.ndarray, max_load: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to 10 hours at or above 90% of each plan's peak, highest first (earlier hour on ties)."""
    n, h = median.shape
    k = min(PEAK_HOURS_MAX, h)
    if k < h:
        idx = np.argpartition(-median, k - 1, axis=1)[:, :k]     # [N, K] unordered top K
    else:
        idx = np.broadcast_to(np.arange(h), (n, h)).copy()
    idx.sort(axis=1)                                             # ties resolve to the earlier hour
    values = np.take_along_axis(median, idx, axis=1)             # [N, K]
    order = np.argsort(-values, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    count = (values >= PEAK_BAND * max_load[:, None]).sum(axis=1)
    return idx, count
