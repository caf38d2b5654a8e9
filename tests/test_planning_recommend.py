"""Recommendations: sizing, hysteresis, urgency, peak hours, units and the explanation."""
from __future__ import annotations

import numpy as np
import pytest

from planning import recommend, recommend_batch, ForecastBatch, PlanBatch
from tests.planning_cases import forecast, plan


def test_scale_up_sizes_on_p90_with_headroom():
    median = np.full(24, 1000.0)
    median[5] = 4000.0                                   # p90 peak 5000 at hour 5
    rec = recommend(forecast(median), plan(current_capacity=5000))
    assert rec.action == "scale_up"
    assert rec.recommended_capacity == 6875      # 5000 / 0.8 x 1.1, not 6876 from float dust
    assert rec.urgency == "critical"            # p90 reaches 100% at hour 6
    assert rec.capacity_change == 1875 and rec.capacity_change_percent == 37.5
    assert rec.metrics["max_predicted_load"] == 4000.0
    assert rec.metrics["max_utilization"] == 0.8
    assert rec.sizing["peak_load"] == 5000.0 and rec.sizing["peak_timestamp"] == "2024-01-15T16:00:00"
    # every fact in the message is also in the reasons
    for fact in ("6,875", "2024-01-15T16:00:00", "80%"):
        assert fact in rec.message and any(fact in r for r in rec.reasons)


def test_quantile_half_sizes_on_the_median():
    rec = recommend(forecast(np.full(6, 4000.0)), plan(current_capacity=5000, quantile=0.5))
    assert rec.recommended_capacity == 5500 and rec.sizing["quantile"] == 0.5
    assert rec.reasons[0].startswith("median peak load")


def test_hysteresis_band_decides_maintain_or_scale_down():
    fc = forecast(np.full(12, 800.0), spread_up=1.0)      # required = 800 / 0.8 * 1.1 = 1100
    assert recommend(fc, plan(current_capacity=1100)).action == "maintain"
    assert recommend(fc, plan(current_capacity=1320)).action == "maintain"   # = 1100 x 1.2, inside the band
    down = recommend(fc, plan(current_capacity=1321))
    assert down.action == "scale_down" and down.recommended_capacity == 1100
    assert recommend(fc, plan(current_capacity=1321, min_capacity=1200)).recommended_capacity == 1200
    assert recommend(fc, plan(current_capacity=1321, min_capacity=1400)).action == "maintain"
    kept = recommend(fc, plan(current_capacity=1300))
    assert kept.recommended_capacity == 1300 and kept.capacity_change == 0
    assert "hysteresis" in kept.reasons[3]


def test_maintain_keeps_current_capacity_below_threshold():
    rec = recommend(forecast(np.full(4, 100.0)), plan(current_capacity=200, hysteresis=10))
    assert rec.action == "maintain" and rec.recommended_capacity == 200
    assert rec.urgency == "low"


@pytest.mark.parametrize("hour, urgency", [(0, "critical"), (5, "critical"), (6, "high"), (30, "high")])
def test_urgency_depends_on_when_full_load_comes(hour, urgency):
    median = np.full(48, 100.0)
    median[hour] = 1000.0                                  # p90 1250 > capacity 1200
    assert recommend(forecast(median), plan(current_capacity=1200)).urgency == urgency


@pytest.mark.parametrize("peak_p90, urgency", [(960, "high"), (900, "medium"), (700, "low")])
def test_urgency_levels_below_full(peak_p90, urgency):
    median = np.full(24, 100.0)
    median[3] = peak_p90 / 1.25
    assert recommend(forecast(median), plan(current_capacity=1000)).urgency == urgency


def test_peak_hours_are_the_top_ten_within_ninety_percent():
    median = np.linspace(100, 1000, 24)                   # top hours: 1000, 960.9, ... ; >= 900 are 3
    rec = recommend(forecast(median), plan(current_capacity=5000))
    loads = [p["predicted_load"] for p in rec.peak_hours]
    assert loads == sorted(loads, reverse=True) and loads[0] == 1000.0
    assert all(v >= 900 for v in loads) and len(loads) == int((median >= 900).sum())
    flat = recommend(forecast(np.full(30, 10.0)), plan(current_capacity=5000))
    assert len(flat.peak_hours) == 10
    assert [p["timestamp"] for p in flat.peak_hours][:2] == ["2024-01-15T11:00:00", "2024-01-15T12:00:00"]
    assert flat.peak_hours[0]["utilization"] == round(10 / 5000, 4)


def test_units_and_cost_blocks_only_when_given():
    fc = forecast(np.full(10, 800.0))
    assert recommend(fc, plan(current_capacity=1000)).instances is None
    rec = recommend(fc, plan(current_capacity=1000, unit_capacity=300, unit_cost_per_hour=2))
    assert rec.recommended_capacity == 1375
    assert rec.instances == {"unit_capacity": 300.0, "current": 4, "recommended": 5, "change": 1}
    assert rec.cost == {"unit_cost_per_hour": 2.0, "period_hours": 10, "current": 80.0, "recommended": 100.0,
                        "change": 20.0}


def test_zero_forecast_never_recommends_zero_capacity():
    rec = recommend(forecast(np.zeros(5)), plan(current_capacity=100))
    assert rec.action == "scale_down" and rec.recommended_capacity == 1


def test_batch_matches_single_plans():
    rng = np.random.default_rng(3)
    forecasts = [forecast(rng.uniform(100, 2000, 36)) for _ in range(6)]
    plans = [plan(current_capacity=float(c)) for c in rng.uniform(500, 4000, 6)]
    batch = recommend_batch(ForecastBatch.from_forecasts(forecasts), PlanBatch.from_plans(plans))
    assert batch == [recommend(f, p) for f, p in zip(forecasts, plans)]


def test_a_requirement_above_max_capacity_is_explained():
    rec = recommend(forecast(np.full(4, 2000.0)), plan(current_capacity=1000, max_capacity=3000))
    assert rec.recommended_capacity == 3438                 # 2500 / 0.8 x 1.1, rounded up: not capped
    assert "exceeds max_capacity 3,000" in rec.reasons[-1]


def test_a_capacity_equal_to_the_rounded_requirement_is_kept():
    median = np.full(24, 1000.0)
    median[5] = 4000.0                                      # p90 peak 5000: requirement 6875 (float: 6875.000...1)
    rec = recommend(forecast(median), plan(current_capacity=6875))
    assert rec.action == "maintain" and rec.capacity_change == 0
