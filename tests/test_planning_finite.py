"""Numbers past the float range: results say so instead of reporting a wrong or non-JSON number."""
from __future__ import annotations

import math

import numpy as np
import pytest

from planning import to_jsonable
from planning.errors import NonFiniteNumber
from planning.rounding import capacity_list


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("inf"), np.array([1.0, np.nan])])
def test_strict_to_jsonable_refuses_what_json_cannot_hold(value):
    with pytest.raises(NonFiniteNumber):
        to_jsonable({"deep": [{"x": value}]}, strict=True)
    assert to_jsonable({"x": 1.5, "y": np.float64(2.0)}, strict=True) == {"x": 1.5, "y": 2.0}


def test_whole_capacities_past_int64_stay_floats():
    assert capacity_list(np.array([1e300, 1500.0])) == [1e300, 1500]
    assert capacity_list(np.array([2.0 ** 53, 2.0 ** 54, np.nan])) == [2 ** 53, 2.0 ** 54, None]
    assert capacity_list(np.array([3.0, 4.0])) == [3, 4] and type(capacity_list(np.array([3.0]))[0]) is int
