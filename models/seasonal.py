"""A classical seasonal-trend forecast that follows a level the network would pull back.

The network learned from data whose departures from the weekly shape do not last (holidays, bursts,
noise), so where a series' level moves and stays moved (growth, weather, a random walk) it forecasts
too close to the weeks before. This forecast follows the level instead. From the last k weeks of a
history (2 <= k <= MAX_WEEKS):

- *profile*: each hour's ratio to its centred 168-hour moving average (2x168, as in a classical
  decomposition), averaged per hour of week over the k - 1 weeks that have one, scaled to mean 1;
- *trend*: the daily log growth from the first to the last of the k weekly means;
- *level*: the last LEVEL_HOURS hours' total over the profile's total for those hours, moved forward by
  half their span of trend, since it is centred LEVEL_HOURS / 2 back.

Hour h ahead: ``level * profile(h) * exp(trend * sum_{d=1..h/24} TREND_DAMPING**d)`` (Gardner's damped
trend, per day), with the trend factor bounded to e^±TREND_BOUND. Pure numpy, batched, scale-free:
a history times c gives a forecast times c.
"""
from __future__ import annotations

import numpy as np

from models.features import DAY, HORIZON_HOURS, WEEK

MAX_WEEKS = 4          # the network's context
LEVEL_HOURS = DAY      # the level is the last day's
TREND_DAMPING = 0.9    # per day
TREND_BOUND = 1.0      # |log factor| of the trend at any horizon
_HALF = WEEK // 2
_DAMPED_DAYS = TREND_DAMPING * (1 - TREND_DAMPING ** (np.arange(1, HORIZON_HOURS + 1) / DAY)) / (1 - TREND_DAMPING)


def weeks_used(hours: int) -> int:
    """How many whole weeks of a history of ``hours`` hours the forecast uses (0 when under two)."""
    weeks = min(hours // WEEK, MAX_WEEKS)
    return weeks if weeks >= 2 else 0


def seasonal_trend(rows: np.ndarray) -> np.ndarray:
    """Forecasts [N, 168] from ``rows`` [N, k * 168] (2 <= k), the last hour of each row the last observed.

    Rows must be finite and non-negative; an all-zero row forecasts zeros.
    """
    rows = np.asarray(rows, dtype=np.float64)
    n, hours = rows.shape
    weeks = hours // WEEK
    if weeks < 2 or hours % WEEK:
        raise ValueError(f"seasonal_trend needs whole weeks, at least two, got {hours} hours")
    sums = np.zeros((n, hours + 1))
    np.cumsum(rows, axis=1, out=sums[:, 1:])
    moving = sums[:, WEEK:] - sums[:, :-WEEK]                     # [N, L-167]: WEEK x mean of hours j..j+167
    span = hours - WEEK                                           # hours 84..L-85 have a centred average
    centred = moving[:, :span] + moving[:, 1:span + 1]            # 2 WEEK x the 2x168 centred average
    ratios = rows[:, _HALF:_HALF + span] * (2 * WEEK) / np.where(centred > 0, centred, np.inf)
    # inner starts at hour 84 of the block, so column j of each week is hour of week (84 + j) % 168,
    # counted from the block's first hour, which shares its hour of week with forecast hour 1.
    profile = np.roll(ratios.reshape(n, weeks - 1, WEEK).mean(axis=1), _HALF, axis=1)
    mean = profile.mean(axis=1, keepdims=True)
    profile = np.where(mean > 0, profile / np.maximum(mean, 1e-300), 1.0)    # [N, 168], mean 1
    weekly = rows.reshape(n, weeks, WEEK).mean(axis=2)
    first, last = weekly[:, 0], weekly[:, -1]
    grows = (first > 0) & (last > 0)
    trend = np.where(grows, np.log(np.where(grows, last, 1.0) / np.where(grows, first, 1.0)), 0.0) / (7 * (weeks - 1))
    shape_recent = profile[:, -LEVEL_HOURS:].sum(axis=1)
    level = np.where(shape_recent > 0, rows[:, -LEVEL_HOURS:].sum(axis=1) / np.maximum(shape_recent, 1e-300), last)
    level = level * np.exp(np.clip(trend * LEVEL_HOURS / (2 * DAY), -TREND_BOUND, TREND_BOUND))
    growth = np.exp(np.clip(trend[:, None] * _DAMPED_DAYS[None, :], -TREND_BOUND, TREND_BOUND))
    return np.maximum(level[:, None] * profile * growth, 0.0)


def seasonal_trend_forecasts(histories: list[np.ndarray]) -> np.ndarray:
    """[N, 168] forecasts of histories of any length of at least two weeks, batched by weeks used."""
    out = np.empty((len(histories), HORIZON_HOURS))
    by_weeks: dict[int, list[int]] = {}
    for i, values in enumerate(histories):
        weeks = weeks_used(len(values))
        if not weeks:
            raise ValueError(f"history {i}: seasonal_trend needs at least {2 * WEEK} hours, got {len(values)}")
        by_weeks.setdefault(weeks, []).append(i)
    for weeks, index in by_weeks.items():
        out[index] = seasonal_trend(np.stack([histories[i][-weeks * WEEK:] for i in index]))
    return out
