"""A capacity plan (what the user has and wants) and its columnar batch form."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from planning.errors import PlanValidationError

QUANTILES = (0.5, 0.9)


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan; optional fields are None when not given."""

    current_capacity: float
    scaling_threshold: float = 0.8
    quantile: float = 0.9
    headroom: float = 0.10
    hysteresis: float = 0.20
    unit_capacity: float | None = None
    unit_cost_per_hour: float | None = None
    lead_time_hours: int = 1
    min_hold_hours: int = 3
    min_capacity: float | None = None
    max_capacity: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping) -> "Plan":
        """Read the plan keys of `data` (others are ignored), validate them all, raise once."""
        if not isinstance(data, Mapping):
            raise PlanValidationError({"plan": "must be a JSON object"})
        reader = _FieldReader(data)
        plan = cls(
            current_capacity=reader.number("current_capacity", None, lambda v: v > 0, "must be > 0"),
            scaling_threshold=reader.number("scaling_threshold", 0.8, lambda v: 0 < v <= 1, "must be in (0, 1]"),
            quantile=reader.number("quantile", 0.9, lambda v: v in QUANTILES, "must be 0.5 or 0.9"),
            headroom=reader.number("headroom", 0.10, lambda v: v >= 0, "must be >= 0"),
            hysteresis=reader.number("hysteresis", 0.20, lambda v: v >= 0, "must be >= 0"),
            unit_capacity=reader.number("unit_capacity", None, lambda v: v > 0, "must be > 0", optional=True),
            unit_cost_per_hour=reader.number("unit_cost_per_hour", None, lambda v: v >= 0, "must be >= 0",
                                             optional=True),
            lead_time_hours=reader.integer("lead_time_hours", 1, 0),
            min_hold_hours=reader.integer("min_hold_hours", 3, 1),
            min_capacity=reader.number("min_capacity", None, lambda v: v >= 0, "must be >= 0", optional=True),
            max_capacity=reader.number("max_capacity", None, lambda v: v > 0, "must be > 0", optional=True),
        )
        if (plan.min_capacity is not None and plan.max_capacity is not None
                and plan.min_capacity > plan.max_capacity):
            reader.errors["max_capacity"] = "must be >= min_capacity"
        if reader.errors:
            raise PlanValidationError(reader.errors)
        return plan


class _FieldReader:
    """Collects every field error so one exception can name them all."""

    def __init__(self, data: Mapping):
        self.data = data
        self.errors: dict[str, str] = {}

    def _raw(self, key, default):
        value = self.data.get(key)
        return default if value is None else value

    def number(self, key, default, check, reason, optional=False):
        value = self._raw(key, default)
        if value is None:
            if not optional:
                self.errors[key] = "is required"
                return math.nan
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.errors[key] = "must be a number"
            return math.nan
        value = float(value)
        if not math.isfinite(value):
            self.errors[key] = "must be a finite number"
        elif not check(value):
            self.errors[key] = reason
        return value

    def integer(self, key, default, minimum):
        value = self._raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or (isinstance(value, float) and not value.is_integer()):
            self.errors[key] = "must be an integer"
            return default
        if value < minimum:
            self.errors[key] = f"must be >= {minimum}"
        return int(value)


@dataclass(frozen=True, slots=True)
class PlanBatch:
    """N plans as columns: float arrays [N] with NaN for "not given"; hour counts as int arrays [N]."""

    current_capacity: np.ndarray
    scaling_threshold: np.ndarray
    quantile: np.ndarray
    headroom: np.ndarray
    hysteresis: np.ndarray
    unit_capacity: np.ndarray
    unit_cost_per_hour: np.ndarray
    lead_time_hours: np.ndarray
    min_hold_hours: np.ndarray
    min_capacity: np.ndarray
    max_capacity: np.ndarray

    def __len__(self) -> int:
        return len(self.current_capacity)

    @classmethod
    def from_plans(cls, plans: Sequence[Plan]) -> "PlanBatch":
        """Columns from validated plans."""
        columns = {}
        for f in fields(cls):
            values = [getattr(p, f.name) for p in plans]
            if f.name in ("lead_time_hours", "min_hold_hours"):
                columns[f.name] = np.asarray(values, dtype=np.int64).reshape(len(plans))
            else:
                columns[f.name] = np.array([np.nan if v is None else v for v in values],
                                           dtype=np.float64).reshape(len(plans))
        return cls(**columns)

    def plan(self, i: int) -> Plan:
        """Row i back as a Plan (NaN -> None)."""
        values = {}
        for f in fields(self):
            v = getattr(self, f.name)[i].item()
            values[f.name] = None if isinstance(v, float) and math.isnan(v) else v
        return Plan(**values)
