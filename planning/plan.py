"""A capacity plan (what the user has and wants) and its columnar batch form, validated by one rule table."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from planning.errors import PlanValidationError


@dataclass(frozen=True, slots=True)
class NumberRule:
    """How a number field is read and checked, for a Plan and for a PlanBatch column alike."""

    check: Callable                   # & and |, not `and`/`or`, so that it works on a number and on an array [N]
    reason: str                       # the error when check fails
    default: float | None = None      # None, unless optional: the field is required
    optional: bool = False            # may be left out: None in a Plan, NaN in a PlanBatch


@dataclass(frozen=True, slots=True)
class IntegerRule:
    """An hour count: its default and the smallest value allowed."""

    default: int
    minimum: int


NUMBER_RULES = {
    "current_capacity": NumberRule(lambda v: v > 0, "must be > 0"),
    "scaling_threshold": NumberRule(lambda v: (v > 0) & (v <= 1), "must be in (0, 1]", default=0.8),
    "quantile": NumberRule(lambda v: (v == 0.5) | (v == 0.9), "must be 0.5 or 0.9", default=0.9),
    "headroom": NumberRule(lambda v: v >= 0, "must be >= 0", default=0.10),
    "hysteresis": NumberRule(lambda v: v >= 0, "must be >= 0", default=0.20),
    "unit_capacity": NumberRule(lambda v: v > 0, "must be > 0", optional=True),
    "unit_cost_per_hour": NumberRule(lambda v: v >= 0, "must be >= 0", optional=True),
    "min_capacity": NumberRule(lambda v: v >= 0, "must be >= 0", optional=True),
    "max_capacity": NumberRule(lambda v: v > 0, "must be > 0", optional=True),
}
INTEGER_RULES = {"lead_time_hours": IntegerRule(default=1, minimum=0),
                 "min_hold_hours": IntegerRule(default=3, minimum=1)}
BOUNDS_REASON = "must be >= min_capacity"


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
        """Read the plan keys of `data` (others are ignored), validate them all, raise once naming each bad one."""
        if not isinstance(data, Mapping):
            raise PlanValidationError({"plan": "must be a JSON object"})
        errors: dict[str, str] = {}
        values = {name: _read_number(data, name, rule, errors) for name, rule in NUMBER_RULES.items()}
        values.update({name: _read_integer(data, name, rule, errors) for name, rule in INTEGER_RULES.items()})
        low, high = values["min_capacity"], values["max_capacity"]
        if low is not None and high is not None and low > high and "max_capacity" not in errors:
            errors["max_capacity"] = BOUNDS_REASON
        if errors:
            raise PlanValidationError(errors)
        return cls(**values)


def _read_number(data: Mapping, name: str, rule: NumberRule, errors: dict):
    value = data.get(name)
    if value is None:
        if rule.default is None and not rule.optional:
            errors[name] = "is required"
        return rule.default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors[name] = "must be a number"
        return rule.default
    value = float(value)
    if not math.isfinite(value):
        errors[name] = "must be a finite number"
    elif not rule.check(value):
        errors[name] = rule.reason
    return value


def _read_integer(data: Mapping, name: str, rule: IntegerRule, errors: dict) -> int:
    value = data.get(name)
    if value is None:
        return rule.default
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (isinstance(value, float) and not value.is_integer()):
        errors[name] = "must be an integer"
        return rule.default
    if value < rule.minimum:
        errors[name] = f"must be >= {rule.minimum}"
    return int(value)


@dataclass(frozen=True, slots=True)
class PlanBatch:
    """N plans as columns: float arrays [N] with NaN for "not given"; hour counts as int arrays [N].
    Validated on construction by the same rules as Plan.from_dict; errors name the field and the first bad plan."""

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

    def __post_init__(self):
        n = np.shape(self.current_capacity)[0] if np.ndim(self.current_capacity) == 1 else -1
        errors: dict[str, str] = {}
        for name, rule in NUMBER_RULES.items():
            column = np.asarray(getattr(self, name), dtype=np.float64)
            object.__setattr__(self, name, column)
            if column.shape != (n,):
                errors[name] = f"must be a 1-D array of {n} values"
                continue
            given = ~np.isnan(column) if rule.optional else np.ones(n, dtype=bool)
            with np.errstate(invalid="ignore"):
                bad = given & ~(np.isfinite(column) & rule.check(column))
            if bad.any():
                errors[name] = f"{rule.reason} (plan {int(np.argmax(bad))})"
        for name, rule in INTEGER_RULES.items():
            column = np.asarray(getattr(self, name))
            if column.shape != (n,) or not np.issubdtype(column.dtype, np.integer):
                errors[name] = f"must be a 1-D integer array of {n} values"
            elif (column < rule.minimum).any():
                errors[name] = f"must be >= {rule.minimum} (plan {int(np.argmax(column < rule.minimum))})"
            else:
                object.__setattr__(self, name, column.astype(np.int64))
        if not errors:
            inverted = self.min_capacity > self.max_capacity          # NaN compares False: no bound, no error
            if inverted.any():
                errors["max_capacity"] = f"{BOUNDS_REASON} (plan {int(np.argmax(inverted))})"
        if errors:
            raise PlanValidationError(errors)

    def __len__(self) -> int:
        return len(self.current_capacity)

    @classmethod
    def from_plans(cls, plans: Sequence[Plan]) -> "PlanBatch":
        """Columns from plans."""
        columns = {}
        for f in fields(cls):
            values = [getattr(p, f.name) for p in plans]
            if f.name in INTEGER_RULES:
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
