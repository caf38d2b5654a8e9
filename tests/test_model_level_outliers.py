"""PersistentLevel's ``level_outlier_spreads``: how far a day may depart before it counts as a holiday."""
from __future__ import annotations

import numpy as np
import pytest

from models.serving_config import ServingConfig, ServingConfigError
from models.transforms.persistent_level import PersistentLevel


def _weeks_with_a_holiday(weeks: int = 4) -> np.ndarray:
    rng = np.random.default_rng(3)
    days = np.exp(rng.normal(0, 0.02, weeks * 7))                 # day levels that barely move
    days[-1] = 0.3                                                # the last day is a holiday
    hours = 1 + 0.5 * np.sin(2 * np.pi * np.arange(24) / 24)
    return (days[:, None] * hours[None, :]).reshape(-1) * 100


def test_the_outlier_bound_decides_whether_a_holiday_counts_as_persistence():
    history, flat = _weeks_with_a_holiday(), np.full((1, 168), 100.0)
    clipped = PersistentLevel(ServingConfig(level_persistence_floor=0.3)).measure([history], flat)[0]
    raw = PersistentLevel(ServingConfig(level_persistence_floor=0.3, level_outlier_spreads=None)).measure(
        [history], flat)[0]
    assert clipped.spread == pytest.approx(raw.spread)            # the spread is measured before clipping
    assert raw.last_departure == pytest.approx(np.log(0.3), abs=0.05)
    assert np.log(0.3) + 0.5 < clipped.last_departure < 0         # clipped at 8 spreads of ~2%


def test_level_outlier_spreads_must_be_positive_or_off():
    assert ServingConfig().level_outlier_spreads == 8.0           # what 1.7.0 chose
    assert ServingConfig(level_outlier_spreads=None).as_dict()["level_outlier_spreads"] is None
    for bad in (0, -1, "8", float("inf")):
        with pytest.raises(ServingConfigError, match="level_outlier_spreads"):
            ServingConfig(level_outlier_spreads=bad)
