"""Seedable generator of financial transaction load: hourly series with the shapes real payment traffic has.

Business-hours days, weekend dips, hour-of-week quirks that change with schedules, paydays and month
ends, holidays, slow trend, level shifts, bursts, outage dips, multiplicative and count noise (or
near-noiseless scheduled counts), closed hours, scales from 1 to 1e6 per hour.

Version 2 (``capplan train --generator-version 2``) adds what version 1 lacks and much real demand has:
a level that wanders and stays where it wandered (weather, campaigns, news; an AR(1) process on the log
level, a day to three months long) and faster growth or decline. Its extra draws come after all of
version 1's, so a version-1 set (the default) never changes: the held-out and validation sets seeded
from it stay comparable across models.
"""
from __future__ import annotations

import numpy as np

from models.features import hour_and_weekday

EPOCH_2015 = 16436 * 24   # 2015-01-01T00 in epoch hours: a calendar anchor, the start is randomised
GENERATOR_VERSION = 1
VERSIONS = (1, 2)
PERSISTENT_SHARE = 0.8    # version 2: series whose level wanders (AR(1) on the log level)
GROWTH_SHARE = 0.4        # version 2: series that also grow or decline fast (log rate ~ N(0, 3) per year)


def _calendar(epochs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Hour, weekday, day of month (1..31), days left in month (0 = last day), day number."""
    hour, weekday = hour_and_weekday(epochs)
    days = (epochs // 24).astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    day_of_month = (days - month_start).astype(np.int64) + 1
    days_left = ((month_start + 1).astype("datetime64[D]") - days).astype(np.int64) - 1
    return hour, weekday, day_of_month, days_left, epochs // 24


def _daily_shape(rng: np.random.Generator) -> np.ndarray:
    """[24] positive profile: a night floor plus one or two business bumps (some series peak in the evening)."""
    hours = np.arange(24)
    floor = rng.uniform(0.02, 0.5)
    peaks = [rng.uniform(10, 14)] if rng.random() < 0.5 else [rng.uniform(9, 11.5), rng.uniform(14, 17)]
    if rng.random() < 0.2:
        peaks = [rng.uniform(18, 21)]                             # consumer traffic peaks after work
    shape = np.full(24, floor)
    for peak in peaks:
        shape += rng.uniform(0.6, 1.0) * np.exp(-0.5 * ((hours - peak) / rng.uniform(2.0, 4.0)) ** 2)
    return shape / shape.mean()


def _runs(rng: np.random.Generator, hours: int, rate: float, length: tuple[int, int]) -> list[slice]:
    """Random non-empty runs of hours: about ``rate`` per 1000 hours."""
    count = rng.poisson(rate * hours / 1000)
    starts = rng.integers(0, hours, size=count)
    return [slice(s, min(hours, s + rng.integers(*length))) for s in starts]


def generate_series(rng: np.random.Generator, hours: int, start_epoch_hour: int,
                    version: int = GENERATOR_VERSION) -> np.ndarray:
    """One hourly load series [hours], float64, >= 0."""
    epochs = start_epoch_hour + np.arange(hours)
    hour, weekday, dom, days_left, day = _calendar(epochs)
    level = np.exp(rng.uniform(np.log(1.0), np.log(1e6)))

    weekly = np.ones(7)
    weekly[5:] = rng.uniform(0.15, 1.0, size=2) if rng.random() < 0.85 else 1.0  # weekend dips
    weekly[:5] *= rng.uniform(0.9, 1.1, size=5)
    mean = _daily_shape(rng)[hour] * weekly[weekday]
    mean = mean * _schedule(rng, hours, weekday * 24 + hour)
    if rng.random() < 0.3:                                        # closed outside opening hours
        opens, closes = rng.integers(5, 9), rng.integers(18, 24)
        mean = np.where((hour < opens) | (hour >= closes), 0.0, mean)
        if rng.random() < 0.5:
            mean = np.where(weekday >= 5, 0.0, mean)

    payday = rng.uniform(1.0, 1.8)
    mean = mean * np.where(np.isin(dom, (1, 15)), payday, 1.0)
    mean = mean * np.where(days_left <= rng.integers(0, 3), rng.uniform(1.0, 1.6), 1.0)
    holidays = set(rng.choice(np.unique(day), size=min(len(np.unique(day)), rng.poisson(hours / 900)),
                              replace=False))
    for d in range(day[0], day[-1] + 1):                          # fixed-date holidays: Jan 1, Jul 4, Dec 25
        month_day = str(np.datetime64(int(d), "D"))[5:]
        if month_day in ("01-01", "07-04", "12-25"):
            holidays.add(d)
    mean = mean * np.where(np.isin(day, list(holidays)), rng.uniform(0.05, 0.6), 1.0)

    years = np.arange(hours) / 8760
    mean = mean * np.exp(rng.normal(0, 0.3) * years)              # slow trend
    for _ in range(rng.poisson(hours / 4000)):                    # level shifts
        mean[rng.integers(0, hours):] *= rng.uniform(0.6, 1.5)
    for run in _runs(rng, hours, 1.5, (1, 7)):                    # bursts
        mean[run] *= rng.uniform(1.5, 4.0)
    for run in _runs(rng, hours, 0.8, (1, 13)):                   # outage dips
        mean[run] *= rng.uniform(0.0, 0.3)

    scheduled = rng.random() < 0.35                               # scheduled load: little noise, whole counts
    if version >= 2 and not scheduled:                            # after version 1's draws: those stay the same
        mean = mean * _level_dynamics(rng, hours)
    if scheduled:
        return np.round(level * mean * rng.lognormal(0.0, rng.uniform(0.0, 0.05), size=hours))
    noisy = level * mean * rng.lognormal(0.0, rng.uniform(0.03, 0.25), size=hours)
    if level < 1000:                                              # counts: small series are Poisson
        noisy = rng.poisson(noisy).astype(np.float64)
    return np.maximum(noisy, 0.0)


def ar1_path(shocks: np.ndarray, phi: float, start: float = 0.0) -> np.ndarray:
    """x[0] = start, x[i] = phi * x[i - 1] + shocks[i]: an AR(1) path driven by ``shocks``."""
    path = np.empty(len(shocks))
    path[0] = start
    for i in range(1, len(shocks)):
        path[i] = phi * path[i - 1] + shocks[i]
    return path


def _level_dynamics(rng: np.random.Generator, hours: int) -> np.ndarray:
    """[hours] multiplicative level: a wandering AR(1) log level and/or fast growth, or ones."""
    factor = np.ones(hours)
    if rng.random() < PERSISTENT_SHARE:
        memory = np.exp(rng.uniform(np.log(24.0), np.log(2000.0)))     # e-folding time in hours
        spread = np.exp(rng.uniform(np.log(0.03), np.log(0.3)))        # stationary sd of the log level
        phi = np.exp(-1.0 / memory)
        shocks = rng.normal(0.0, spread * np.sqrt(1 - phi ** 2), size=hours)
        factor *= np.exp(ar1_path(shocks, phi, rng.normal(0.0, spread)))
    if rng.random() < GROWTH_SHARE:
        factor *= np.exp(rng.normal(0.0, 3.0) * np.arange(hours) / 8760)
    return factor


def _schedule(rng: np.random.Generator, hours: int, how: np.ndarray) -> np.ndarray:
    """[hours] persistent hour-of-week quirks (batch jobs, timetables), redrawn in part at schedule changes."""
    spread = rng.uniform(0.0, 0.5)
    quirks = rng.lognormal(0.0, spread, size=168)
    factor = quirks[how]
    for _ in range(rng.poisson(hours / 3000)):
        start = rng.integers(0, hours)
        changed = rng.random(168) < rng.uniform(0.1, 0.6)
        quirks = np.where(changed, rng.lognormal(0.0, spread, size=168), quirks)
        factor[start:] = quirks[how[start:]]
    return factor


def generate_set(seed: int, n_series: int, hours: int,
                 version: int = GENERATOR_VERSION) -> tuple[np.ndarray, np.ndarray]:
    """``n_series`` series [n_series, hours] and their start epoch hours [n_series], all from ``seed``."""
    if version not in VERSIONS:
        raise ValueError(f"generator version must be one of {VERSIONS}, not {version!r}")
    rng = np.random.default_rng(seed)
    starts = EPOCH_2015 + rng.integers(0, 8 * 8760, size=n_series)
    return np.stack([generate_series(rng, hours, int(s), version) for s in starts]), starts
