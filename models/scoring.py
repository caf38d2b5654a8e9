"""Scoring a forecast against its own last week: MASE, band coverage, the band scale that covers 80%."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from models.features import DAY, WEEK

if TYPE_CHECKING:
    from models.forecast import QuantileForecast, SeriesBatch

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


def weekly_naive_mae(rows: np.ndarray) -> np.ndarray:
    """In-sample weekly seasonal naive MAE of each row of ``rows`` [M, L > 168]: [M]."""
    return np.abs(rows[:, WEEK:] - rows[:, :-WEEK]).mean(axis=-1)


def mase(actual: np.ndarray, forecast: np.ndarray, scale) -> np.ndarray:
    """MAE over ``scale`` along the last axis; 0 when both are 0 (an all-zero series forecast as zero)."""
    mae = np.abs(actual - forecast).mean(axis=-1)
    scale = np.asarray(scale, dtype=np.float64)
    fallback = np.maximum(np.abs(actual).mean(axis=-1), 1e-12)  # no naive error to scale by: relative MAE
    return np.where(scale > 0, mae / np.where(scale > 0, scale, 1.0), np.where(mae == 0, 0.0, mae / fallback))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of actuals inside [lower, upper] along the last axis."""
    return ((actual >= lower) & (actual <= upper)).mean(axis=-1)


def band_scale(actual: np.ndarray, p10: np.ndarray, p50: np.ndarray, p90: np.ndarray,
               target: float = BAND_TARGET, limits: tuple[float, float] = BAND_SCALE_RANGE) -> np.ndarray:
    """Factor for the p10/p90 half-widths around p50 so the band would have held ``target`` of ``actual``.

    Along the last axis (one factor per row), clipped to ``limits``.
    """
    width = np.where(actual < p50, p50 - p10, p90 - p50)         # the half-width on the actual's side
    miss = np.abs(actual - p50)
    needed = np.where(miss == 0, 0.0, miss / np.maximum(width, 1e-12 * (np.abs(p50) + 1e-12)))
    return np.clip(np.quantile(needed, target, axis=-1), *limits)


def widen(p10: np.ndarray, p50: np.ndarray, p90: np.ndarray, scale) -> tuple[np.ndarray, np.ndarray]:
    """Scaled band around the median (``scale`` broadcasts against the rows), never below zero."""
    return np.maximum(p50 - scale * (p50 - p10), 0.0), p50 + scale * (p90 - p50)


@dataclass
class Backtests:
    """How each forecaster did on each backtested series' last week."""

    actual: np.ndarray               # [M, 168] the last weeks
    scale: np.ndarray                # [M] MASE denominators: in-sample weekly naive MAE before the last week
    mase: dict[str, np.ndarray]      # [M] per forecaster; NaN where it has no backtest row
    coverage: np.ndarray             # [M] share of the last week inside the banded forecaster's raw band
    band_scale: np.ndarray           # [M] the factor on that band's half-widths that would have held 80%


def naive_scales(befores: list[np.ndarray]) -> np.ndarray:
    """[M] MASE denominators of the histories before each last week, in one array op when they align."""
    if len({len(b) for b in befores}) == 1 and len(befores[0]) > WEEK:
        return np.array([m if m > 0 else naive_scale(b) for m, b in zip(weekly_naive_mae(np.stack(befores)), befores)])
    return np.array([naive_scale(b) for b in befores])


def score(batch: "SeriesBatch", forecasts: dict[str, "QuantileForecast"], banded: str) -> Backtests | None:
    """Every forecaster's backtest rows against the last weeks; the band scores are ``banded``'s."""
    if not batch.backtested:
        return None
    n, actual = batch.size, batch.actual()
    scales = naive_scales(batch.befores())
    past = forecasts[banded]
    return Backtests(actual, scales, {name: mase(actual, f.median[n:], scales) for name, f in forecasts.items()},
                     coverage(actual, past.p10[n:], past.p90[n:]),
                     band_scale(actual, past.p10[n:], past.median[n:], past.p90[n:]))


def seasonal_naive(history: np.ndarray, hours: int, season: int = WEEK) -> np.ndarray:
    """Repeat the last ``season`` hours (the last value when shorter) for ``hours`` hours."""
    if len(history) < season:
        return np.full(hours, history[-1], dtype=np.float64)
    last = history[-season:]
    return np.resize(last, hours) if hours > season else last[:hours].copy()
