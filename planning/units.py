"""Capacity -> instances -> cost, for plans that give unit_capacity and/or unit_cost_per_hour."""
from __future__ import annotations

import numpy as np

from planning.plan import PlanBatch
from planning.sizing import ceil_capacity


def unit_size(pb: PlanBatch) -> np.ndarray:
    """[N] capacity of one instance: unit_capacity, or one load unit when it is not given."""
    return np.where(np.isnan(pb.unit_capacity), 1.0, pb.unit_capacity)


def instances(capacity: np.ndarray, pb: PlanBatch) -> np.ndarray:
    """Whole instances to hold `capacity` ([N] or [N, H]); without unit_capacity one instance = one load unit."""
    unit = unit_size(pb)
    unit = unit.reshape(unit.shape + (1,) * (capacity.ndim - 1))
    return ceil_capacity(capacity / unit)


def has_units(pb: PlanBatch) -> np.ndarray:
    """[N] bool: the plan reports instances."""
    return ~np.isnan(pb.unit_capacity)


def has_cost(pb: PlanBatch) -> np.ndarray:
    """[N] bool: the plan reports cost."""
    return ~np.isnan(pb.unit_cost_per_hour)


def static_cost(capacity: np.ndarray, pb: PlanBatch, hours: int) -> np.ndarray:
    """[N] cost of holding `capacity` [N] for the whole forecast period (NaN without unit_cost_per_hour)."""
    return instances(capacity, pb) * pb.unit_cost_per_hour * hours
