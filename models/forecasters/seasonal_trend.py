"""A classical seasonal-trend forecast that follows a level the network would pull back.

The network learned from data whose departures from the weekly shape do not last (holidays, bursts,
noise), so where a series' level moves and stays moved (growth, weather, a random walk) it forecasts
too close to the weeks before. This forecast follows the level instead. From the last k weeks of a
history (2 <= k <= CONTEXT_WEEKS, the network's context):

- *profile*: each hour's ratio to its centred 168-hour moving average (2x168, as in a classical
  decomposition), averaged per hour of week over the k - 1 weeks that have one, scaled to mean 1;
- *trend*: the daily log growth from the first to the last of the k weekly means;
- *level*: the last LEVEL_HOURS hours' total over the profile's total for those hours, moved forward by
  half their span of trend, since it is centred LEVEL_HOURS / 2 back.

Hour h ahead: ``level * profile(h) * exp(trend * (1/2 + sum_{d=1..h/24} TREND_DAMPING**d))`` (Gardner's
damped trend, per day), with that trend factor bounded to e^±TREND_BOUND. Pure numpy, batched, scale-free:
a history times c gives a forecast times c.
"""
from __future__ import annotations

import numpy as np

from models.features import CONTEXT_WEEKS, DAY, HORIZON_HOURS, WEEK, week_groups
from models.forecast import QuantileForecast, SeriesBatch
from models.transforms.band import residual_band

LEVEL_HOURS = DAY      # the level is the last day's
TREND_DAMPING = 0.9    # per day
TREND_BOUND = 1.0      # |log factor| of the trend at any horizon
_HALF = WEEK // 2
_ROLL = (np.arange(WEEK) - _HALF) % WEEK   # column j of a ratio week is hour (84 + j) of the week block
_SHIFT = LEVEL_HOURS / (2 * DAY)           # days from the last day's centre to its end
_DAMPED_DAYS = TREND_DAMPING * (1 - TREND_DAMPING ** (np.arange(1, HORIZON_HOURS + 1) / DAY)) / (1 - TREND_DAMPING)


def seasonal_trend(rows: np.ndarray) -> np.ndarray:
    """Forecasts [N, 168] from ``rows`` [N, k * 168] (2 <= k), the last hour of each row the last observed.

    Rows must be finite and non-negative; an all-zero row forecasts zeros.
    """
    rows = _whole_weeks(rows, 2)
    return _forecast(rows, _ratios(rows))


def seasonal_trend_backtested(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forecast after ``blocks`` [N, m * 168] (3 <= m) and the backtest forecast of their last week.

    ``(ahead, past)``, [N, 168] each, equal to ``seasonal_trend(blocks[:, -k * 168:])`` with
    k = min(m, CONTEXT_WEEKS) and ``seasonal_trend(blocks[:, :-168])``: the centred ratios of the block serve both.
    """
    blocks = _whole_weeks(blocks, 3)
    weeks = blocks.shape[1] // WEEK
    recent = min(weeks, CONTEXT_WEEKS)
    ratios = _ratios(blocks)                                      # (m - 1) weeks, the block's hours 84..
    return (_forecast(blocks[:, -recent * WEEK:], ratios[:, (weeks - recent) * WEEK:]),
            _forecast(blocks[:, :-WEEK], ratios[:, :-WEEK]))


def seasonal_trend_pairs(histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``seasonal_trend_backtested`` of each history's last CONTEXT_WEEKS + 1 weeks (at least 3), batched by length."""
    for i, values in enumerate(histories):
        if len(values) < 3 * WEEK:
            raise ValueError(f"history {i}: a backtested seasonal trend needs at least {3 * WEEK} hours, "
                             f"got {len(values)}")
    ahead, past = np.empty((len(histories), HORIZON_HOURS)), np.empty((len(histories), HORIZON_HOURS))
    for index, blocks in week_groups(histories, 3, CONTEXT_WEEKS + 1):
        ahead[index], past[index] = seasonal_trend_backtested(blocks)
    return ahead, past


class SeasonalTrend:
    """Forecasts the series with at least three weeks (two before the backtest week); NaN rows elsewhere."""

    method = "seasonal_trend"

    def forecast(self, batch: SeriesBatch) -> QuantileForecast:
        n, rows = batch.size, batch.size + len(batch.backtested)
        median = np.full((rows, HORIZON_HOURS), np.nan)
        p10, p90 = median.copy(), median.copy()
        eligible = [j for j, i in enumerate(batch.backtested) if len(batch.histories[i]) >= 3 * WEEK]
        if eligible:
            series = [batch.backtested[j] for j in eligible]
            ahead, past = seasonal_trend_pairs([batch.histories[i] for i in series])
            median[series], median[[n + j for j in eligible]] = ahead, past
            p10[series], p90[series] = residual_band(ahead, batch.actual()[eligible] - past)
        return QuantileForecast(p10, median, p90, [self.method] * rows)


def _whole_weeks(rows: np.ndarray, least: int) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] % WEEK or rows.shape[1] // WEEK < least:
        raise ValueError(f"seasonal_trend needs rows of whole weeks, at least {least}, got shape {rows.shape}")
    return rows


def _ratios(rows: np.ndarray) -> np.ndarray:
    """[N, L - 168]: each of hours 84..L-85 over its centred 2x168 moving average (0 where that is 0)."""
    n, hours = rows.shape
    sums = np.zeros((n, hours + 1))
    np.cumsum(rows, axis=1, out=sums[:, 1:])
    moving = sums[:, WEEK:] - sums[:, :-WEEK]                     # [N, L-167]: WEEK x mean of hours j..j+167
    span = hours - WEEK
    centred = moving[:, :span] + moving[:, 1:span + 1]            # 2 WEEK x the centred average
    centred[centred <= 0] = np.inf
    return rows[:, _HALF:_HALF + span] * (2 * WEEK) / centred


def _forecast(rows: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """The forecast after ``rows`` [N, k * 168] from their centred ``ratios`` [N, (k - 1) * 168]."""
    n, hours = rows.shape
    weeks = hours // WEEK
    # column j of each ratio week is the hour of week of the rows' hour 84 + j; the rows' first hour
    # shares its hour of week with forecast hour 1
    profile = ratios.reshape(n, weeks - 1, WEEK).sum(axis=1)[:, _ROLL]
    total = profile.sum(axis=1, keepdims=True)
    profile = np.where(total > 0, profile * (WEEK / np.where(total > 0, total, 1.0)), 1.0)   # [N, 168], mean 1
    weekly = rows.reshape(n, weeks, WEEK).sum(axis=2)
    first, last = weekly[:, 0], weekly[:, -1]
    grows = (first > 0) & (last > 0)
    trend = np.log(np.where(grows, last, 1.0) / np.where(grows, first, 1.0)) / (7 * (weeks - 1))   # per day
    shape_recent = profile[:, -LEVEL_HOURS:].sum(axis=1)
    recent = rows[:, -LEVEL_HOURS:].sum(axis=1)
    level = np.where(shape_recent > 0, recent / np.where(shape_recent > 0, shape_recent, 1.0), last / WEEK)
    log_growth = np.minimum(np.maximum(trend[:, None] * (_SHIFT + _DAMPED_DAYS), -TREND_BOUND), TREND_BOUND)
    return np.maximum(level[:, None] * profile * np.exp(log_growth), 0.0)
