"""Load shapes outside the generator, for checking that a model generalises beyond what it trained on.

Each family is a plain formula, not the training generator: a daily cycle with a wandering level, as
electricity or API traffic has; steady growth; a random walk; a level that drifts with autocorrelated
noise; small Poisson counts. ``benchmarks/validate_model.py --stress`` (experiments.validation) scores a model on them against
weekly and daily seasonal naive and MSTL. Nothing here is public data, and no model trains on these families.
"""
from __future__ import annotations

import numpy as np

from experiments.evaluation import Origins
from experiments.generator import ar1_path
from models.features import CONTEXT_HOURS, HORIZON_HOURS, hour_and_weekday

STRESS_SEED = 777
LAST_EPOCH_HOUR = 24 * 7 * 2000 + 23          # 2008-05-07T23: the forecasts start at midnight
FAMILIES = ("daily-only", "weather", "growth", "random-walk", "low-counts", "ar-noise")


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    return ar1_path(rng.normal(0.0, sd, size=n), phi)


def stress_series(family: str, rng: np.random.Generator, hours: int, last_epoch_hour: int) -> np.ndarray:
    """One series [hours] of ``family`` whose hour ``hours - 1 - HORIZON_HOURS`` is ``last_epoch_hour``."""
    epochs = last_epoch_hour - (hours - HORIZON_HOURS - 1) + np.arange(hours)
    hour, weekday = hour_and_weekday(epochs)
    day = 1 + 0.6 * np.cos(2 * np.pi * (hour - rng.uniform(10, 20)) / 24)
    weekend = np.where(weekday >= 5, rng.uniform(0.6, 0.9), 1.0)
    t = np.arange(hours)
    if family == "daily-only":             # no weekly cycle at all
        y = day * np.exp(rng.normal(0, 0.08, hours))
    elif family == "weather":              # a day-level factor that persists for days (temperature)
        daily_level = np.repeat(_ar1(rng, hours // 24 + 1, 0.9, 0.05), 24)[:hours]
        y = day * weekend * np.exp(daily_level + rng.normal(0, 0.03, hours))
    elif family == "growth":               # 30-100% growth over the four weeks of history
        y = day * weekend * (1 + rng.uniform(0.3, 1.0) * t / CONTEXT_HOURS) * np.exp(rng.normal(0, 0.05, hours))
    elif family == "random-walk":          # the level is a random walk
        y = day * np.exp(np.cumsum(rng.normal(0, 0.01, hours)) + rng.normal(0, 0.05, hours))
    elif family == "low-counts":           # 1-5 per hour, Poisson
        return rng.poisson(rng.uniform(1, 5) * day * weekend).astype(np.float64)
    elif family == "ar-noise":             # hourly noise with a memory of about a day
        y = day * weekend * np.exp(_ar1(rng, hours, 0.95, 0.04))
    else:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    return np.maximum(y * np.exp(rng.uniform(np.log(10), np.log(1e5))), 0.0)


def stress_cases(family: str, n_series: int = 40, seed: int = STRESS_SEED) -> Origins:
    """``n_series`` forecasts of one family, 672 hours of history each, reproducible from ``seed``."""
    rng = np.random.default_rng([seed, FAMILIES.index(family)])
    hours = CONTEXT_HOURS + HORIZON_HOURS
    values = np.stack([stress_series(family, rng, hours, LAST_EPOCH_HOUR) for _ in range(n_series)])
    return Origins(values[:, :CONTEXT_HOURS], values[:, CONTEXT_HOURS:],
                   np.full(n_series, LAST_EPOCH_HOUR, dtype=np.int64), [f"{family}{i}" for i in range(n_series)])
