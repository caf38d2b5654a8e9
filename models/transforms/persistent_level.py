"""Persistent day levels: carry a departure forward where a series' days show that departures last.

The network learned from data whose departures from the usual weekday level do not last (holidays,
bursts, noise), so where a series' days stay above or below it for days on end (weather, a wandering
level) it pulls the forecast back too soon. Each history tells which kind it is. From its last k whole
weeks (MIN_WEEKS <= k <= CONTEXT_WEEKS), in 24-hour blocks ending at its last hour:

- *departure* of a day: log of its total over the median total of the same weekday over the k weeks;
  departures further than OUTLIER_SPREADS robust spreads (1.4826 MAD of the days before the last) from
  the median departure are clipped there, so one holiday neither proves persistence nor is carried on;
- *persistence* phi: the least-squares AR(1) coefficient of each day's departure on the day before's,
  clipped to [0, PERSISTENCE_CAP];
- *share* of the correction: 0 up to the floor, rising linearly to 1 at phi = 1;
- *spread*: the robust spread (1.4826 MAD) of the departures before the last day, how far the day level
  wanders. Where it both persists and wanders, a week-old copy of the series is stale, so serving can
  keep weekly naive's fallback from serving there (the ``Selector``'s ``fallback_level_gate``).

Forecast day d (hours 24d-23..24d) is multiplied by ``exp(share * (phi**d * last - forecast_d))``, where
``last`` is the last day's departure and ``forecast_d`` the departure the forecast itself gives that day.
At share 1 its day totals follow the AR(1) forecast of the departure; the hours keep the forecast's shape.
Pure numpy, batched, scale-free: a history times c gives the same factors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.features import CONTEXT_WEEKS, DAY, HORIZON_HOURS, WEEK, week_groups
from models.notes import Note
from models.serving_config import ServingConfig

MIN_WEEKS = 3            # fewer weeks give no majority for a weekday's usual level
OUTLIER_SPREADS = 8.0    # a holiday is a departure of many spreads; a wandering level's days are a few
PERSISTENCE_CAP = 0.98
DAYS_AHEAD = HORIZON_HOURS // DAY


@dataclass
class LevelCorrection:
    """Hourly factors [N, 168], share [N], persistence phi [N], last departure [N] and spread [N] of the
    departures; [168] and scalars for one."""

    factors: np.ndarray
    share: np.ndarray
    persistence: np.ndarray
    last_departure: np.ndarray
    spread: np.ndarray


def day_departures(rows: np.ndarray, spreads: float | None = OUTLIER_SPREADS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rows [N, k * 168] -> (clipped log departures [N, 7k] of each day, usual weekday totals [N, 7],
    robust spread [N] of the departures before the last day).

    Column j of the usual totals is the weekday of days j, j + 7, ... and of forecast day j + 1.
    """
    n, hours = rows.shape
    weeks = hours // WEEK
    days = rows.reshape(n, weeks, 7, DAY).sum(axis=3)            # [N, k, 7] 24-hour blocks, oldest first
    usual = np.median(days, axis=1)                  # [N, 7]
    known = (days > 0) & (usual[:, None, :] > 0)
    ratio = np.where(known, days, 1.0) / np.where(known, usual[:, None, :], 1.0)
    departures = np.where(known, np.log(ratio), 0.0).reshape(n, weeks * 7)
    before = departures[:, :-1]
    centre = np.median(before, axis=-1)[:, None]
    spread = 1.4826 * np.median(np.abs(before - centre), axis=-1)
    bound = np.inf if spreads is None else spreads * spread[:, None]
    return np.minimum(np.maximum(departures, centre - bound), centre + bound), usual, spread


def persistence(departures: np.ndarray) -> np.ndarray:
    """[N] least-squares AR(1) coefficient of each day's departure on the day before's, in [0, cap]."""
    now, before = departures[:, 1:], departures[:, :-1]
    energy = (before * before).sum(axis=1)
    phi = (now * before).sum(axis=1) / np.where(energy > 0, energy, 1.0)
    return np.clip(np.where(energy > 0, phi, 0.0), 0.0, PERSISTENCE_CAP)


def level_correction(rows: np.ndarray, forecasts: np.ndarray, floor: float | None,
                     spreads: float | None = OUTLIER_SPREADS) -> LevelCorrection:
    """The correction of ``forecasts`` [N, 168] that follow ``rows`` [N, k * 168] (whole weeks, k >= MIN_WEEKS).

    ``floor`` None measures persistence and spread but corrects nothing (share 0, factors 1).
    """
    rows, forecasts = np.asarray(rows, dtype=np.float64), np.asarray(forecasts, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] % WEEK or rows.shape[1] // WEEK < MIN_WEEKS:
        raise ValueError(f"level_correction needs rows of whole weeks, at least {MIN_WEEKS}, got shape {rows.shape}")
    if forecasts.shape != (rows.shape[0], HORIZON_HOURS):
        raise ValueError(f"level_correction needs forecasts [N, {HORIZON_HOURS}], got shape {forecasts.shape}")
    departures, usual, spread = day_departures(rows, spreads)
    phi, last = persistence(departures), departures[:, -1]
    if floor is None:
        share = np.zeros(len(rows))
    else:
        share = np.clip((phi - floor) / (1.0 - floor), 0.0, 1.0)  # [N]
    totals = forecasts.reshape(-1, DAYS_AHEAD, DAY).sum(axis=2)   # [N, 7] forecast day totals
    known = (totals > 0) & (usual > 0)
    own = np.log(np.where(known, totals, 1.0) / np.where(known, usual, 1.0))        # the forecast's departures
    carried = phi[:, None] ** np.arange(1, DAYS_AHEAD + 1) * last[:, None]          # [N, 7] the AR(1) forecast
    log_factor = np.where(known, share[:, None] * (carried - own), 0.0)
    return LevelCorrection(np.repeat(np.exp(log_factor), DAY, axis=1), share, phi, last, spread)


def level_corrections(histories: list[np.ndarray], forecasts: np.ndarray, floor: float | None,
                      spreads: float | None = OUTLIER_SPREADS) -> dict[int, LevelCorrection]:
    """``level_correction`` of each history of at least MIN_WEEKS whole weeks (its last CONTEXT_WEEKS), by index.

    ``forecasts`` [len(histories), 168]. Histories are batched by the number of weeks they use.
    """
    out: dict[int, LevelCorrection] = {}
    for index, rows in week_groups(histories, MIN_WEEKS, CONTEXT_WEEKS):
        batch = level_correction(rows, forecasts[index], floor, spreads)
        for k, i in enumerate(index):
            out[i] = LevelCorrection(batch.factors[k], batch.share[k], batch.persistence[k], batch.last_departure[k],
                                     batch.spread[k])
    return out


class PersistentLevel:
    """Output transform: where the network serves, its day totals follow a departure that lasts.

    ``floor`` None measures each series' persistence and spread (the selector's level gate reads them)
    and corrects nothing.
    """

    def __init__(self, config: ServingConfig):
        self.floor, self.spreads = config.level_persistence_floor, config.level_outlier_spreads

    def measure(self, histories: list[np.ndarray], medians: np.ndarray) -> dict[int, LevelCorrection]:
        return level_corrections(histories, medians, self.floor, self.spreads)

    @staticmethod
    def apply(level: LevelCorrection, *quantiles: np.ndarray) -> tuple[tuple[np.ndarray, ...], list[Note]]:
        """The quantiles times the level's factors, with a note when they move anything."""
        notes = []
        if level.share > 0:
            notes.append(Note("level_followed", {"persistence": float(level.persistence),
                                                 "departure": float(level.last_departure),
                                                 "share": float(level.share),
                                                 "day_one": float(level.factors[0] - 1)}))
        return tuple(q * level.factors for q in quantiles), notes
