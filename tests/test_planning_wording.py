"""The exact words of messages and reasons, pinned so that reshaping the explanation cannot change them."""
from __future__ import annotations

import numpy as np
import pytest

from planning import recommend
from tests.planning_cases import forecast, plan

SPIKE = np.full(24, 1000.0)
SPIKE[5] = 4000.0                                       # p90 peak 5000 at hour 5
FLAT = np.full(12, 800.0)


def test_scale_up_past_max_capacity():
    rec = recommend(forecast(SPIKE), plan(current_capacity=5000, max_capacity=6000.5))
    assert rec.message == (
        "⚠️ Scale UP required: increase capacity by 1,875 (37.5%) to 6,875. At the p90 peak (2024-01-15T16:00:00) "
        "utilisation would reach 100.0% of the current capacity; threshold 80%.")
    assert rec.reasons == [
        "p90 peak load 5,000.00 at 2024-01-15T16:00:00 (hour 6 of 24)",
        "required capacity = ceil(5,000.00 / 0.8 x (1 + 0.1)) = 6,875",
        "p90 peak utilisation at the current capacity 5,000: 100.0% (threshold 80%)",
        "current capacity 5,000 is below the required 6,875: scale up",
        "urgency critical: p90 utilisation reaches 100% at hour 6, within 6 hours",
        "required capacity 6,875 exceeds max_capacity 6,000.50: the scaling schedule stops there",
    ]


def test_scale_down_on_the_median():
    rec = recommend(forecast(FLAT, spread_up=1.0), plan(current_capacity=1321, quantile=0.5))
    assert rec.message == (
        "Scale DOWN possible: reduce capacity by 221 (16.7%) to 1,100. The median peak (2024-01-15T11:00:00) "
        "would then run at 72.7%, under the 80% threshold.")
    assert rec.reasons[3:] == [
        "current capacity 1,321 is above 1,320 (required x (1 + 0.2) hysteresis band): scale down to 1,100",
        "urgency low: median peak utilisation 60.6% is under the 80% threshold",
    ]


def test_maintain_because_of_min_capacity():
    rec = recommend(forecast(FLAT, spread_up=1.0), plan(current_capacity=1321, min_capacity=1400.25))
    assert rec.message == ("✓ Maintain capacity at 1,321: the p90 peak (2024-01-15T11:00:00) runs at 60.6%, "
                           "under the 80% threshold.")
    assert rec.reasons[3] == ("current capacity 1,321 is above the hysteresis band but min_capacity 1,401 "
                              "keeps it: maintain")


@pytest.mark.parametrize("load, settings, band_reason, urgency_reason", [
    (800.0, {"headroom": 0}, "current capacity 1,000 is within the hysteresis band up to 1,200 "
     "(required x (1 + 0.2)): maintain", "urgency medium: p90 peak utilisation 80.0% >= the 80% threshold"),
    (960.0, {"headroom": 0, "scaling_threshold": 1}, "current capacity 1,000 is within the hysteresis band up to "
     "1,152 (required x (1 + 0.2)): maintain", "urgency high: p90 peak utilisation 96.0% >= 95%"),
])
def test_maintain_within_the_band(load, settings, band_reason, urgency_reason):
    rec = recommend(forecast(np.full(12, load), spread_up=1.0), plan(current_capacity=1000, **settings))
    assert rec.action == "maintain" and rec.reasons[3:] == [band_reason, urgency_reason]
