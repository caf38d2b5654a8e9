"""Anomalous days in a history (holidays, outages, one-off events), replaced before they become lags.

The network's strongest inputs are each target hour's values one, two and three weeks back. A holiday
or an outage in those weeks makes a poor anchor for the weeks after it, so a day whose total departs
from the median total of the same weekday over the last weeks is replaced, hour by hour, by the median
of that weekday's hours. The most recent days are kept: they may be a new level, not an anomaly.

A "day" is a 24-hour block ending at the history's last hour (or a multiple of 24 hours before it), not
a calendar day: a holiday seen from a mid-day origin falls in two blocks, each judged by its own share.
"""
from __future__ import annotations

import numpy as np

from models.features import DAY, WEEK, week_groups
from models.forecast import SeriesBatch
from models.notes import Note
from models.serving_config import ServingConfig

CLEAN_WEEKS = 5      # the context (4 weeks) plus the week before it, which the backtest's context needs
MIN_WEEKS = 3        # fewer weeks give no majority to call a day anomalous against


def clean_weeks(recent: np.ndarray, threshold: float, keep_days: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """recent [N, W * 168] (whole weeks ending at the last hour) -> (cleaned copy, days replaced [N])."""
    n, hours = recent.shape
    weeks = hours // WEEK
    days = recent.reshape(n, weeks, 7, DAY)                        # [N, W, 7, 24] by weekday slot
    totals = days.sum(axis=3)                                      # [N, W, 7]
    usual = np.median(totals, axis=1)[:, None, :]     # [N, 1, 7] each weekday's median total
    anomalous = np.abs(totals - usual) > threshold * usual         # [N, W, 7]; a usually idle weekday: any load
    anomalous.reshape(n, -1)[:, weeks * 7 - keep_days:] = False
    counts = anomalous.sum(axis=(1, 2))
    if not counts.any():
        return recent, counts
    series, week, weekday = np.nonzero(anomalous)                  # the replaced days
    slots, slot = np.unique(series * 7 + weekday, return_inverse=True)   # their (series, weekday) pairs
    profile = np.median(days[slots // 7, :, slots % 7], axis=1)   # [P, W, 24] -> [P, 24] median hours
    cleaned = days.copy()
    cleaned[series, week, weekday] = profile[slot.reshape(-1)]
    return cleaned.reshape(n, hours), counts


def clean_histories(histories: list[np.ndarray], threshold: float,
                    keep_days: int = 1) -> tuple[list[np.ndarray], list[int]]:
    """Each history with anomalous days among its last weeks replaced, and how many; inputs stay unchanged.

    Only the last whole weeks are looked at (at most CLEAN_WEEKS; none below MIN_WEEKS), aligned to the
    last hour; the last ``keep_days`` days are never replaced. Histories are cleaned in one array op per
    number of weeks.
    """
    out, counts = list(histories), [0] * len(histories)
    for rows, recent in week_groups(histories, MIN_WEEKS, CLEAN_WEEKS):
        cleaned, replaced = clean_weeks(recent, threshold, keep_days)
        for row, i, count in zip(cleaned, rows, replaced):
            if count:
                out[i] = np.concatenate([histories[i][:-recent.shape[1]], row])
                counts[i] = int(count)
    return out, counts


class CleanDays:
    """Input transform: each row the network sees has its anomalous days replaced; each series says how many."""

    def __init__(self, config: ServingConfig):
        self.threshold = config.clean_days_threshold

    def apply(self, batch: SeriesBatch) -> SeriesBatch:
        batch.inputs, counts = clean_histories(batch.inputs, self.threshold)   # each row on its own
        for notes, days in zip(batch.notes, counts):              # the forecast rows come first
            if days:
                notes.append(Note("cleaned_days", {"days": days, "threshold": self.threshold}))
        return batch
