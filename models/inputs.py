"""The arguments of ``Forecaster.forecast`` checked and shaped, and repeated series found."""
from __future__ import annotations

import numpy as np

from models.features import HORIZON_HOURS, as_histories, epoch_hour


class ForecastInputError(ValueError):
    """A forecast argument is unusable; the message names the argument."""


def distinct(series: list[np.ndarray], epochs: list[int]) -> tuple[list[int], list[int]]:
    """The first request of each distinct (history, last hour) pair, and each request's pair among them.

    A batch of plans often repeats a series (scenarios of one service, plans with the same current load and
    timestamp): each distinct pair is forecast once and its outputs serve every request that repeats it.
    """
    seen: dict[tuple[int, bytes], int] = {}
    first, of = [], []
    for i, (values, epoch) in enumerate(zip(series, epochs)):
        position = seen.setdefault((epoch, values.tobytes()), len(first))   # exact: the bytes, not a digest
        if position == len(first):
            first.append(i)
        of.append(position)
    return first, of


def validate(histories, last_timestamps, hours_ahead) -> tuple[list[np.ndarray], list[int], list[int]]:
    try:
        series = as_histories(histories)
    except (TypeError, ValueError) as exc:
        raise ForecastInputError(f"histories: {exc}") from None
    if not hasattr(last_timestamps, "__len__") or len(last_timestamps) != len(series):
        raise ForecastInputError("last_timestamps must have one timestamp per history")
    try:
        epochs = [epoch_hour(ts) for ts in last_timestamps]
    except (TypeError, ValueError) as exc:
        raise ForecastInputError(f"last_timestamps: {exc}") from None
    try:
        horizons = [hours_ahead] * len(series) if np.ndim(hours_ahead) == 0 else list(hours_ahead)
    except ValueError:                                            # a ragged nesting numpy cannot shape
        horizons = None
    if horizons is None or len(horizons) != len(series):
        raise ForecastInputError("hours_ahead must be one integer or one per history")
    for h in horizons:
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= HORIZON_HOURS:
            raise ForecastInputError(f"hours_ahead must be integers from 1 to {HORIZON_HOURS}, got {h!r}")
    return series, epochs, [int(h) for h in horizons]


