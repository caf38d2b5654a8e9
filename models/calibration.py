"""Scoring a forecast against its own last week: MASE, band coverage, the band scale that covers 80%."""
from __future__ import annotations

import numpy as np

from models.features import DAY, WEEK

BAND_TARGET = 0.8            # p10..p90 should hold 80% of actuals
BAND_SCALE_RANGE = (0.5, 3.0)  # one week is a small sample: never trust it beyond this


def naive_scale(history: np.ndarray) -> float:
    """In-sample MAE of weekly seasonal naive (daily, then mean |y| when too short); > 0 unless all zero."""
    for season in (WEEK, DAY, 1):
        if len(history) > season:
            mae = float(np.abs(history[season:] - history[:-season]).mean())
            if mae > 0:
                return mae
    return float(np.abs(history).mean())


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute error over ``scale``; 0 when both are 0 (an all-zero series forecast as zero)."""
    mae = float(np.abs(actual - forecast).mean())
    if scale > 0:
        return mae / scale
    return 0.0 if mae == 0 else mae / max(float(np.abs(actual).mean()), 1e-12)


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(((actual >= lower) & (actual <= upper)).mean())


def band_scale(actual: np.ndarray, p10: np.ndarray, p50: np.ndarray, p90: np.ndarray,
               target: float = BAND_TARGET, limits: tuple[float, float] = BAND_SCALE_RANGE) -> float:
    """Factor for the p10/p90 half-widths around p50 so that the band would have held ``target`` of ``actual``."""
    below = actual < p50
    width = np.where(below, p50 - p10, p90 - p50)                 # the half-width on the actual's side
    miss = np.abs(actual - p50)
    needed = np.where(miss == 0, 0.0, miss / np.maximum(width, 1e-12 * (np.abs(p50) + 1e-12)))
    return float(np.clip(np.quantile(needed, target), *limits))


def widen(p10: np.ndarray, p50: np.ndarray, p90: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Scaled band around the median, never below zero."""
    return np.maximum(p50 - scale * (p50 - p10), 0.0), p50 + scale * (p90 - p50)


def seasonal_naive(history: np.ndarray, hours: int, season: int = WEEK) -> np.ndarray:
    """Repeat the last ``season`` hours (the last value when shorter) for ``hours`` hours."""
    if len(history) < season:
        return np.full(hours, history[-1], dtype=np.float64)
    last = history[-season:]
    return np.resize(last, hours) if hours > season else last[:hours].copy()
