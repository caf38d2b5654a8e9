"""Turning raw hourly histories into network inputs: padding, per-window scale, sliding window, head features.

Shared by training and serving so the network always sees exactly what it was trained on.
Positions are relative to a context of ``context`` hours whose last index is the last observed hour.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Sequence

import numpy as np

WEEK, DAY = 168, 24
CONTEXT_HOURS = 672   # 3 weeks of lags for horizon 168 plus the window, rounded up to 4 weeks
CONTEXT_WEEKS = CONTEXT_HOURS // 168
WINDOW_HOURS = 48
HORIZON_HOURS = 168
HEAD_FEATURES_BASE = 9   # per target hour: 4 past values, 4 calendar codes, horizon (what older artifacts have)
HEAD_FEATURES_ALL = 12   # + recent level vs a week earlier: the last day's residual at that hour, 24 h and 168 h means
LEVEL_CLIP = 5.0         # a single spike must not swamp the level features (normalised units, context mean 1)


def epoch_hour(ts) -> int:
    """Hours since 1970-01-01T00 UTC of a timestamp (naive = UTC), floored to the hour."""
    if isinstance(ts, datetime) and ts.tzinfo is not None:
        ts = ts.astimezone(timezone.utc).replace(tzinfo=None)
    return int(np.datetime64(ts, "h").astype(np.int64))


def hour_and_weekday(epoch_hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day 0..23 and day of week 0..6 (Monday = 0) of epoch hours (1970-01-01 was a Thursday)."""
    return epoch_hours % DAY, (epoch_hours // DAY + 3) % 7


def hour_of_week(epoch_hours: np.ndarray) -> np.ndarray:
    hour, weekday = hour_and_weekday(epoch_hours)
    return weekday * DAY + hour


def pad_history(history: np.ndarray, last_epoch_hour: int, context: int,
                profile: np.ndarray) -> tuple[np.ndarray, int, str | None]:
    """Last ``context`` hours of a history, padded in front when it is shorter; returns (values, padded, how).

    ``how`` is ``"weeks"`` with at least a week observed (the front repeats its observed weeks, same hour
    of week), else ``"profile"`` (the hour-of-week ``profile`` scaled to the observed mean).
    """
    n = len(history)
    if n >= context:
        return history[n - context:], 0, None
    need = context - n
    offsets = np.arange(context) - need                           # index into history; < 0 is padding
    if n >= WEEK:
        return history[np.where(offsets < 0, offsets % WEEK, offsets)], need, "weeks"
    epoch = last_epoch_hour - (context - 1) + np.arange(context)
    shape = profile[hour_of_week(epoch)]
    level = history.mean() / max(shape[need:].mean(), 1e-12)
    padded = np.concatenate([shape[:need] * level, history])
    return padded, need, "profile"


def week_groups(histories: Sequence[np.ndarray], least: int, most: int):
    """Yield (indices, rows [G, k * 168]) for each number k of whole weeks, least <= k <= most, the histories have.

    Each history gives its last k weeks (at most ``most``); those with fewer than ``least`` are left out.
    Batched parts of serving run once per group and scatter their rows back by the indices.
    """
    groups: dict[int, list[int]] = {}
    for i, values in enumerate(histories):
        weeks = min(len(values) // WEEK, most)
        if weeks >= least:
            groups.setdefault(weeks, []).append(i)
    for weeks, index in groups.items():
        yield index, np.stack([histories[i][-weeks * WEEK:] for i in index])


def window_scale(contexts: np.ndarray) -> np.ndarray:
    """Per-window statistic [N]: the context mean (0 only for an all-zero, non-negative context)."""
    return contexts.mean(axis=-1)


@lru_cache(maxsize=8)
def _index_tables(context: int, window: int, horizon: int):
    """Positions of the window's rows and of the target hours' lags [H, 4]; read-only, cached."""
    rows = np.arange(context - window, context)                   # the window's own hours
    steps = np.arange(1, horizon + 1)                             # horizons 1..H
    target = context - 1 + steps                                  # target hour's position
    lags = np.stack([target - WEEK, target - 2 * WEEK, target - 3 * WEEK,
                     target - DAY * ((steps + DAY - 1) // DAY)], axis=1)  # [H, 4]
    if lags.min() < 0 or rows.min() - WEEK < 0:
        raise ValueError(f"context of {context} hours is too short for window {window} and horizon {horizon}")
    for table in (rows, lags):
        table.flags.writeable = False                             # shared by every call
    return rows, lags


def build_inputs(contexts: np.ndarray, last_epoch_hours: np.ndarray, window: int = WINDOW_HOURS,
                 horizon: int = HORIZON_HOURS, head_features: int = HEAD_FEATURES_BASE
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """contexts [N, C] (>= 0) -> window [N, W, 5] float32, future [N, H, F] float32, scale [N] float64.

    ``head_features`` F keeps the first F head features, so artifacts trained with fewer still load.
    """
    n, context = contexts.shape
    rows, lags = _index_tables(context, window, horizon)
    scale = window_scale(contexts)                                # [N]
    norm = contexts / np.where(scale > 0, scale, 1.0)[:, None]    # [N, C], mean 1 unless all zero
    norm32 = norm.astype(np.float32)                              # gathered below: the network's dtype
    last = np.asarray(last_epoch_hours, dtype=np.int64)[:, None]

    row_epoch = last - (context - 1 - rows)[None, :]              # [N, W]
    row_hour, row_day = hour_and_weekday(row_epoch)
    calendar = (row_hour / 23.0).astype(np.float32), (row_day / 6.0).astype(np.float32)
    window_x = np.stack([norm32[:, rows], norm32[:, rows - DAY], norm32[:, rows - WEEK], *calendar],
                        axis=-1)                                  # [N, W, 5]

    full = HEAD_FEATURES_ALL if head_features > HEAD_FEATURES_BASE else HEAD_FEATURES_BASE
    future = np.empty((n, horizon, full), dtype=np.float32)      # filled in place: no concatenation
    for k in range(3):                                            # 1/2/3 weeks back: contiguous slices
        future[..., k] = norm32[:, lags[0, k]:lags[0, k] + horizon]
    future[..., 3] = norm32[:, lags[:, 3]]                        # the last observed day, same hour
    future[..., 4:9] = _calendar_features(last[:, 0], horizon)
    if full > HEAD_FEATURES_BASE:
        future[..., 9:] = _level_features(norm, lags[:, 3], horizon)
    if head_features != full:
        future = np.ascontiguousarray(future[..., :head_features])
    return window_x, future, scale


def _calendar_features(last_epoch_hours: np.ndarray, horizon: int) -> np.ndarray:
    """[N, H, 5] target-hour calendar codes: rows of a table of every hour of week of the last hour.

    The codes depend on the last epoch hour only through its hour of week, so the 168 possible blocks
    are computed once per horizon and each row is gathered from them.
    """
    return _calendar_table(horizon)[last_epoch_hours % WEEK]


@lru_cache(maxsize=4)
def _calendar_table(horizon: int) -> np.ndarray:
    """[168, H, 5] calendar codes of the target hours 1..H after a last hour at each hour of week."""
    steps = np.arange(1, horizon + 1)
    hour, day = hour_and_weekday(np.arange(WEEK)[:, None] + steps[None, :])   # [168, H]
    angle = 2 * np.pi * hour / DAY
    table = np.stack([hour / 23.0, day / 6.0, np.sin(angle), np.cos(angle),
                      np.broadcast_to(steps / horizon, hour.shape)], axis=-1).astype(np.float32)
    table.flags.writeable = False
    return table


def _level_features(norm: np.ndarray, last_day: np.ndarray, horizon: int) -> np.ndarray:
    """How the recent past compares with a week earlier, so the head can follow level shifts: [N, H, 3].

    The last observed day's weekly-naive residual at the target's hour of day, and the difference of
    the last 24 h and last 168 h means from the same spans one week before (normalised units).
    """
    first = norm.shape[1] - DAY                                   # the last day's values only: a small gather
    residual = (norm[:, first:] - norm[:, first - WEEK:-WEEK])[:, last_day - first]   # [N, H]
    day = norm[:, -DAY:].mean(axis=-1) - norm[:, -DAY - WEEK:-WEEK].mean(axis=-1)          # [N]
    week = norm[:, -WEEK:].mean(axis=-1) - norm[:, -2 * WEEK:-WEEK].mean(axis=-1)        # [N]
    out = np.empty((len(norm), horizon, 3), dtype=np.float32)    # clipped in float64, stored as float32
    out[..., 0] = np.clip(residual, -LEVEL_CLIP, LEVEL_CLIP)
    out[..., 1] = np.clip(day, -LEVEL_CLIP, LEVEL_CLIP)[:, None]
    out[..., 2] = np.clip(week, -LEVEL_CLIP, LEVEL_CLIP)[:, None]
    return out


def as_histories(histories: Sequence) -> list[np.ndarray]:
    """1-D float64 arrays, negatives clipped to 0 (load cannot be negative)."""
    out = []
    for i, h in enumerate(histories):
        arr = np.asarray(h, dtype=np.float64).reshape(-1)
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"histories[{i}] must be a non-empty array of finite numbers")
        out.append(np.maximum(arr, 0.0))
    return out
