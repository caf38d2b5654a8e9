"""Forecast inputs: one series (Forecast) or N series of equal length (ForecastBatch)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from planning.errors import PlanValidationError

ONE_HOUR = np.timedelta64(1, "h")


def _as_datetime64(start) -> np.datetime64:
    """Naive-UTC datetime (aware ones are converted) -> datetime64[s]."""
    if isinstance(start, datetime):
        if start.tzinfo is not None:
            start = start.astimezone(timezone.utc).replace(tzinfo=None)
        return np.datetime64(start.replace(microsecond=0), "s")
    if isinstance(start, (np.datetime64, str)):
        try:
            value = np.datetime64(start, "s")
        except ValueError:
            value = np.datetime64("NaT")
        if not np.isnat(value):
            return value
    raise PlanValidationError({"start": "must be a datetime (the first forecast hour)"})


def _check_quantile_bands(median: np.ndarray, p10: np.ndarray, p90: np.ndarray) -> None:
    """Raise naming the first band that is missing, not finite, negative or out of order."""
    if median.shape[-1] == 0:
        raise PlanValidationError({"forecast": "is empty: need at least one hour"})
    for name, band in (("median", median), ("p10", p10), ("p90", p90)):
        if band.shape != median.shape:
            raise PlanValidationError({name: f"has shape {band.shape}, expected {median.shape}"})
        if not np.isfinite(band).all():
            raise PlanValidationError({name: "must be finite numbers (no NaN or infinity)"})
        if (band < 0).any():
            raise PlanValidationError({name: "must be >= 0"})
    slack = 1e-9 * np.maximum(median, 1.0)
    if (p10 > median + slack).any():
        raise PlanValidationError({"p10": "must be <= median at every hour"})
    if (p90 < median - slack).any():
        raise PlanValidationError({"p90": "must be >= median at every hour"})


def _float_array(values, name: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlanValidationError({name: "must be numbers"}) from None
    if array.ndim != ndim:
        raise PlanValidationError({name: f"must be {ndim}-D, got {array.ndim}-D"})
    return array


@dataclass(frozen=True, slots=True)
class Forecast:
    """One hourly forecast; hour k is start + k hours. Bands are validated and stored as float64."""

    start: datetime
    median: np.ndarray  # [H]
    p10: np.ndarray     # [H]
    p90: np.ndarray     # [H]

    def __post_init__(self):
        _as_datetime64(self.start)
        bands = {name: _float_array(getattr(self, name), name, 1) for name in ("median", "p10", "p90")}
        _check_quantile_bands(bands["median"], bands["p10"], bands["p90"])
        for name, band in bands.items():
            object.__setattr__(self, name, band)

    @property
    def hours(self) -> int:
        return len(self.median)


@dataclass(frozen=True, slots=True)
class ForecastBatch:
    """N forecasts of H hours each. start: datetime64[s] [N] (any datetime64 unit accepted)."""

    start: np.ndarray   # [N] datetime64[s]
    median: np.ndarray  # [N, H]
    p10: np.ndarray     # [N, H]
    p90: np.ndarray     # [N, H]

    def __post_init__(self):
        start = np.asarray(self.start)
        if not np.issubdtype(start.dtype, np.datetime64) or start.ndim != 1 or np.isnat(start).any():
            raise PlanValidationError({"start": "must be a 1-D datetime64 array without NaT"})
        bands = {name: _float_array(getattr(self, name), name, 2) for name in ("median", "p10", "p90")}
        if bands["median"].shape[0] != start.shape[0]:
            raise PlanValidationError(
                {"start": f"has {start.shape[0]} entries for {bands['median'].shape[0]} forecasts"})
        _check_quantile_bands(bands["median"], bands["p10"], bands["p90"])
        object.__setattr__(self, "start", start.astype("datetime64[s]"))
        for name, band in bands.items():
            object.__setattr__(self, name, band)

    def __len__(self) -> int:
        return self.median.shape[0]

    @property
    def hours(self) -> int:
        return self.median.shape[1]

    @classmethod
    def from_forecasts(cls, forecasts: Sequence[Forecast]) -> "ForecastBatch":
        """Stack forecasts of equal length (group ragged ones first, see planning.analysis.analyze_each)."""
        if not forecasts:
            raise PlanValidationError({"forecast": "is empty: need at least one forecast"})
        lengths = {f.hours for f in forecasts}
        if len(lengths) != 1:
            raise PlanValidationError({"forecast": f"lengths differ ({sorted(lengths)}); batch equal lengths"})
        return cls(
            start=np.array([_as_datetime64(f.start) for f in forecasts], dtype="datetime64[s]"),
            median=np.stack([f.median for f in forecasts]),
            p10=np.stack([f.p10 for f in forecasts]),
            p90=np.stack([f.p90 for f in forecasts]),
        )

    def timestamps(self, offsets: np.ndarray) -> np.ndarray:
        """ISO strings "YYYY-MM-DDTHH:MM:SS" of hours start[i] + offsets[i, ...] (offsets: int [N, ...])."""
        shape = (len(self),) + (1,) * (offsets.ndim - 1)
        stamps = self.start.reshape(shape) + offsets.astype("timedelta64[h]")
        return np.datetime_as_string(stamps, unit="s")
