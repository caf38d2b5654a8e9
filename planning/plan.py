"""A capacity plan (what the user has and wants) and its columnar batch form, checked against one table of
options (planning.plan_options)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from planning.errors import PlanValidationError
from planning.plan_options import BOUNDS_REASON, PLAN_OPTIONS, PlanOption


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
        values = {name: _read(data, name, option, errors) for name, option in PLAN_OPTIONS.items()}
        low, high = values["min_capacity"], values["max_capacity"]
        if low is not None and high is not None and low > high and not errors.keys() & {"min_capacity",
                                                                                        "max_capacity"}:
            errors["max_capacity"] = BOUNDS_REASON
        if errors:
            raise PlanValidationError(errors)
        return cls(**values)


def _read(data: Mapping, name: str, option: PlanOption, errors: dict):
    """The value of option ``name`` (its default when absent or null); a bad one is recorded in ``errors``."""
    value = data.get(name)
    if value is None:
        if option.required:
            errors[name] = "is required"
        return option.default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors[name] = "must be a number"
        return option.default
    try:
        number = float(value)
    except OverflowError:                                   # an integer past float's range
        errors[name] = option.reason
        return option.default
    if option.integer and not number.is_integer():
        errors[name] = option.reason
    elif not option.holds(number):
        errors[name] = option.reason
    return int(number) if option.integer and name not in errors else number


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
        for name, option in PLAN_OPTIONS.items():
            column, error = _checked_column(getattr(self, name), option, n)
            object.__setattr__(self, name, column)
            if error:
                errors[name] = error
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
            if PLAN_OPTIONS[f.name].integer:
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


def _checked_column(raw, option: PlanOption, n: int) -> tuple[np.ndarray, str | None]:
    """The column as float64 [N] (int64 for hour counts), and why it breaks ``option``'s domain, if it does."""
    if option.integer:
        column = np.asarray(raw)
        if column.shape != (n,) or not np.issubdtype(column.dtype, np.integer):
            return column, f"must be a 1-D integer array of {n} values"
        column = column.astype(np.int64)
        bad = ~option.holds(column)
    else:
        column = np.asarray(raw, dtype=np.float64)
        if column.shape != (n,):
            return column, f"must be a 1-D array of {n} values"
        given = np.ones(n, dtype=bool) if option.required or option.default is not None else ~np.isnan(column)
        bad = given & ~option.holds(column)
    return column, f"{option.reason} (plan {int(np.argmax(bad))})" if bad.any() else None
