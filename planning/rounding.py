"""Rounding rules for reported numbers (documented in the README planning section)."""
from __future__ import annotations

import numpy as np

LOAD_DECIMALS = 2         # loads, capacities that are not whole, costs
UTILIZATION_DECIMALS = 4  # utilisation ratios (0.8123 = 81.23%)
PERCENT_DECIMALS = 2      # percentages
EXACT_INTEGER = 2.0 ** 53  # whole floats up to this are exact integers; larger ones are reported as floats


def round_list(values: np.ndarray, decimals: int) -> list:
    """Rounded plain Python floats; NaN becomes None."""
    rounded = np.round(values, decimals)
    if np.isnan(rounded).any():
        return np.where(np.isnan(rounded), None, rounded).tolist()
    return rounded.tolist()


def capacity_list(values: np.ndarray) -> list:
    """Capacities as int when whole and exact as an integer (up to 2**53), else rounded to 2 decimals; NaN
    becomes None. A whole float past int64 would otherwise cast to -9223372036854775808."""
    rounded = np.round(values, LOAD_DECIMALS)
    whole = (np.mod(rounded, 1.0) == 0) & (np.abs(rounded) <= EXACT_INTEGER)   # False for NaN
    if whole.all():                                        # the usual case: one vectorised cast
        return rounded.astype(np.int64).tolist()
    if not whole.any():
        return round_list(rounded, LOAD_DECIMALS)
    as_int = np.where(whole, rounded, 0).astype(np.int64).tolist()
    as_float = np.where(np.isnan(rounded), None, rounded).tolist()
    return [i if w else f for w, i, f in zip(whole.tolist(), as_int, as_float)]


def capacity_text(value: float) -> str:
    """1,500 or 1,500.25 for messages."""
    if type(value) is int:
        return f"{value:,}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
