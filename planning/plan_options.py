"""The plan options, each with its default and its domain: the one table that planning's own checks read
and that the API's request schema is generated from (api/schemas/plan_options.py).

Every domain is bounded so that every product in sizing, schedules and costs stays finite in float64 and
every count fits int64: loads and capacities up to 1e12 and a capacity in service of at least 1e-6
(utilisation at most 1e18), a threshold from 0.01 and headroom up to +1000% (a need of at most about
1e15 for loads of 1e12), instances of at least 0.01 load units (at most about 1e17 instances, under
int64's 9.2e18), unit costs up to 1e9 per hour, hours up to a year.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_AMOUNT = 1e12          # loads and capacities, in load units per hour
MAX_UNIT_COST = 1e9        # per instance-hour
MAX_HOURS = 8760           # a year of hours
MAX_FACTOR = 10.0          # headroom and hysteresis: +1000%
MIN_THRESHOLD = 0.01
MIN_UNIT_CAPACITY = 0.01
MIN_CAPACITY = 1e-6       # capacity in service: load / capacity stays finite


def _number(value: float) -> str:
    return f"{value:g}".replace("e+", "e")


@dataclass(frozen=True, slots=True)
class PlanOption:
    """One option: default (None: not given), whether it is required, and its domain (finite always)."""

    doc: str
    default: float | int | None = None
    required: bool = False
    gt: float | None = None       # exclusive lower bound
    ge: float | None = None       # inclusive lower bound
    le: float | None = None       # inclusive upper bound
    choices: tuple[float, ...] = ()
    integer: bool = False

    def holds(self, value):
        """Whether ``value`` (a number, or an array [N]) lies in the domain; & so that arrays work."""
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(value)
            if self.choices:
                ok = ok & np.isin(value, self.choices)
            if self.gt is not None:
                ok = ok & (value > self.gt)
            if self.ge is not None:
                ok = ok & (value >= self.ge)
            if self.le is not None:
                ok = ok & (value <= self.le)
        return ok

    @property
    def reason(self) -> str:
        """The domain in words, as an error reason."""
        if self.choices:
            return "must be " + " or ".join(_number(c) for c in self.choices)
        kind = "an integer" if self.integer else "a number"
        if self.ge is not None and self.le is not None:
            return f"must be {kind} from {_number(self.ge)} to {_number(self.le)}"
        if self.gt is not None and self.le is not None:
            return f"must be {kind} > {_number(self.gt)} and at most {_number(self.le)}"
        bounds = [f"{op} {_number(v)}" for op, v in ((">", self.gt), (">=", self.ge), ("<=", self.le))
                  if v is not None]
        return f"must be {kind} " + " and ".join(bounds) if bounds else f"must be {kind}"


PLAN_OPTIONS: dict[str, PlanOption] = {
    "current_capacity": PlanOption("capacity in service now, in load units per hour (like the forecast)",
                                   required=True, ge=MIN_CAPACITY, le=MAX_AMOUNT),
    "scaling_threshold": PlanOption("utilisation that capacity is sized to stay under", 0.8,
                                    ge=MIN_THRESHOLD, le=1),
    "quantile": PlanOption("size on the p90 band (0.9) or on the median (0.5)", 0.9, choices=(0.5, 0.9)),
    "headroom": PlanOption("buffer on top of peak / threshold (0.10: +10%)", 0.10, ge=0, le=MAX_FACTOR),
    "hysteresis": PlanOption("scale down only when over the need by more than this share", 0.20,
                             ge=0, le=MAX_FACTOR),
    "unit_capacity": PlanOption("load one instance serves; adds instance counts", ge=MIN_UNIT_CAPACITY,
                                le=MAX_AMOUNT),
    "unit_cost_per_hour": PlanOption("cost of one instance (one load unit without unit_capacity) per hour",
                                     ge=0, le=MAX_UNIT_COST),
    "lead_time_hours": PlanOption("hours a scale-up needs to take effect", 1, ge=0, le=MAX_HOURS,
                                  integer=True),
    "min_hold_hours": PlanOption("hours a capacity is held before the schedule changes it again", 3,
                                 ge=1, le=MAX_HOURS, integer=True),
    "min_capacity": PlanOption("lowest capacity the schedule may hold", ge=0, le=MAX_AMOUNT),
    "max_capacity": PlanOption("highest capacity the schedule may hold; >= min_capacity", gt=0,
                               le=MAX_AMOUNT),
}
BOUNDS_REASON = "must be >= min_capacity"
