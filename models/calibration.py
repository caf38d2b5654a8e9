"""Scoring a forecast against its own last week: MASE, band coverage, the band scale that covers 80%."""
from __future__ import annotations

import numpy as np

from models.features import DAY, WEEK, mean_last

BAND_TARGET = 0.8            # p10..p90 should hold 80% of actuals
BAND_SCALE_RANGE = (0.5, 3.0)  # one week is a small sample: never trust it beyond this


def quantile_last(values: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(values, q, axis=-1)`` (its default linear method, same bits) from one partition.

    np.quantile's generality costs ~150 us a call here, more than the rest of a backtest's scoring.
    """
    n = values.shape[-1]
    virtual = (n - 1) * float(q)                                   # as numpy computes it, then its lerp
    lower = min(int(np.floor(virtual)), n - 1)
    upper = min(lower + 1, n - 1)
    ordered = np.partition(values, (lower, upper), axis=-1)
    a, b = ordered[..., lower], ordered[..., upper]
    gamma, diff = virtual - lower, b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def naive_scale(history: np.ndarray) -> float:
    """In-sample MAE of weekly seasonal naive (daily, then mean |y| when too short); > 0 unless all zero."""
    for season in (WEEK, DAY, 1):
        if len(history) > season:
            mae = float(np.abs(history[season:] - history[:-season]).mean())
            if mae > 0:
                return mae
    return float(np.abs(history).mean())


def weekly_naive_mae(rows: np.ndarray) -> np.ndarray:
    """In-sample weekly seasonal naive MAE of each row of ``rows`` [M, L > 168]: [M]."""
    return mean_last(np.abs(rows[:, WEEK:] - rows[:, :-WEEK]))


def mase(actual: np.ndarray, forecast: np.ndarray, scale) -> np.ndarray:
    """MAE over ``scale`` along the last axis; 0 when both are 0 (an all-zero series forecast as zero)."""
    mae = mean_last(np.abs(actual - forecast))
    scale = np.asarray(scale, dtype=np.float64)
    fallback = np.maximum(mean_last(np.abs(actual)), 1e-12)  # no naive error to scale by: relative MAE
    return np.where(scale > 0, mae / np.where(scale > 0, scale, 1.0), np.where(mae == 0, 0.0, mae / fallback))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of actuals inside [lower, upper] along the last axis."""
    return mean_last((actual >= lower) & (actual <= upper))


def band_scale(actual: np.ndarray, p10: np.ndarray, p50: np.ndarray, p90: np.ndarray,
               target: float = BAND_TARGET, limits: tuple[float, float] = BAND_SCALE_RANGE) -> np.ndarray:
    """Factor for the p10/p90 half-widths around p50 so the band would have held ``target`` of ``actual``.

    Along the last axis (one factor per row), clipped to ``limits``.
    """
    width = np.where(actual < p50, p50 - p10, p90 - p50)         # the half-width on the actual's side
    miss = np.abs(actual - p50)
    needed = np.where(miss == 0, 0.0, miss / np.maximum(width, 1e-12 * (np.abs(p50) + 1e-12)))
    return np.clip(quantile_last(needed, target), *limits)


def widen(p10: np.ndarray, p50: np.ndarray, p90: np.ndarray, scale) -> tuple[np.ndarray, np.ndarray]:
    """Scaled band around the median (``scale`` broadcasts against the rows), never below zero."""
    return np.maximum(p50 - scale * (p50 - p10), 0.0), p50 + scale * (p90 - p50)


def score_backtests(befores: list[np.ndarray], actual: np.ndarray, past: np.ndarray) -> dict[str, np.ndarray]:
    """Per backtested series [M]: model and weekly-naive MASE, raw band coverage, calibrating band scale,
    and the MASE denominator ``scale``; plus the ``naive`` forecasts [M, 168].

    ``befores``: the histories before each last week; ``actual`` [M, 168]; ``past`` [M, 168, 3] forecasts.
    """
    if len({len(b) for b in befores}) == 1 and len(befores[0]) > WEEK:   # the batch case: one array op
        stacked = np.stack(befores)                               # [M, L]
        scales = np.array([m if m > 0 else naive_scale(b) for m, b in zip(weekly_naive_mae(stacked), befores)])
        naive = stacked[:, -WEEK:].copy()                         # [M, 168]
    else:
        scales = np.array([naive_scale(b) for b in befores])
        naive = np.stack([seasonal_naive(b, WEEK) for b in befores])  # [M, 168]
    return {"mase_model": mase(actual, past[..., 1], scales), "mase_seasonal_naive": mase(actual, naive, scales),
            "coverage": coverage(actual, past[..., 0], past[..., 2]),
            "band_scale": band_scale(actual, past[..., 0], past[..., 1], past[..., 2]), "naive": naive,
            "scale": scales}


def seasonal_naive(history: np.ndarray, hours: int, season: int = WEEK) -> np.ndarray:
    """Repeat the last ``season`` hours (the last value when shorter) for ``hours`` hours."""
    if len(history) < season:
        return np.full(hours, history[-1], dtype=np.float64)
    last = history[-season:]
    return np.resize(last, hours) if hours > season else last[:hours].copy()
