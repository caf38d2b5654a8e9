"""Bad plans and forecasts raise PlanValidationError naming the field."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from planning import Forecast, ForecastBatch, Plan, PlanBatch, PlanValidationError, recommend
from tests.planning_cases import START, forecast


@pytest.mark.parametrize("data, field", [
    ({}, "current_capacity"),
    ({"current_capacity": 0}, "current_capacity"),
    ({"current_capacity": -5}, "current_capacity"),
    ({"current_capacity": math.nan}, "current_capacity"),
    ({"current_capacity": math.inf}, "current_capacity"),
    ({"current_capacity": "5000"}, "current_capacity"),
    ({"current_capacity": True}, "current_capacity"),
    ({"current_capacity": 100, "scaling_threshold": 0}, "scaling_threshold"),
    ({"current_capacity": 100, "scaling_threshold": 1.01}, "scaling_threshold"),
    ({"current_capacity": 100, "scaling_threshold": -0.5}, "scaling_threshold"),
    ({"current_capacity": 100, "scaling_threshold": math.nan}, "scaling_threshold"),
    ({"current_capacity": 100, "quantile": 0.75}, "quantile"),
    ({"current_capacity": 100, "headroom": -0.1}, "headroom"),
    ({"current_capacity": 100, "hysteresis": -1}, "hysteresis"),
    ({"current_capacity": 100, "unit_capacity": 0}, "unit_capacity"),
    ({"current_capacity": 100, "unit_cost_per_hour": -1}, "unit_cost_per_hour"),
    ({"current_capacity": 100, "lead_time_hours": -1}, "lead_time_hours"),
    ({"current_capacity": 100, "lead_time_hours": 1.5}, "lead_time_hours"),
    ({"current_capacity": 100, "min_hold_hours": 0}, "min_hold_hours"),
    ({"current_capacity": 100, "min_capacity": -1}, "min_capacity"),
    ({"current_capacity": 100, "max_capacity": 0}, "max_capacity"),
    ({"current_capacity": 1e12 * 1.0001}, "current_capacity"),
    ({"current_capacity": 10 ** 400}, "current_capacity"),
    ({"current_capacity": 100, "scaling_threshold": 0.0099}, "scaling_threshold"),
    ({"current_capacity": 100, "unit_capacity": 9e-7}, "unit_capacity"),
    ({"current_capacity": 100, "unit_cost_per_hour": 1.01e9}, "unit_cost_per_hour"),
    ({"current_capacity": 100, "lead_time_hours": 8761}, "lead_time_hours"),
    ({"current_capacity": 100, "headroom": 11}, "headroom"),
    ({"current_capacity": 100, "min_capacity": 50, "max_capacity": 40}, "max_capacity"),
])
def test_bad_plan_names_the_field(data, field):
    with pytest.raises(PlanValidationError) as info:
        Plan.from_dict(data)
    assert field in info.value.fields
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_edges_of_every_domain_are_accepted():
    edges = {"current_capacity": 1e12, "scaling_threshold": 0.01, "unit_capacity": 0.01,
             "unit_cost_per_hour": 1e9, "lead_time_hours": 8760, "min_hold_hours": 8760, "headroom": 10,
             "hysteresis": 10, "min_capacity": 1e12, "max_capacity": 1e12}
    assert Plan.from_dict(edges) == Plan(**{**edges, "current_capacity": 1e12})


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(PlanValidationError) as info:
        Plan.from_dict({"current_capacity": 0, "scaling_threshold": 2, "quantile": 0.1})
    assert set(info.value.fields) == {"current_capacity", "scaling_threshold", "quantile"}


def test_plan_defaults_and_unknown_keys_ignored():
    plan = Plan.from_dict({"current_capacity": 5000, "hours_ahead": 24, "current_load": 1000,
                           "scaling_threshold": None, "lead_time_hours": 2.0})
    assert plan == Plan(current_capacity=5000.0, lead_time_hours=2)
    assert plan.scaling_threshold == 0.8 and plan.quantile == 0.9 and plan.headroom == 0.10
    assert plan.hysteresis == 0.20 and plan.min_hold_hours == 3 and plan.unit_capacity is None


def test_plan_batch_round_trips_plans():
    plans = [Plan.from_dict({"current_capacity": 10, "unit_capacity": 2}), Plan.from_dict({"current_capacity": 7})]
    batch = PlanBatch.from_plans(plans)
    assert np.isnan(batch.unit_capacity[1]) and batch.unit_capacity[0] == 2
    assert [batch.plan(i) for i in range(2)] == plans


def test_not_a_mapping():
    with pytest.raises(PlanValidationError) as info:
        Plan.from_dict([1, 2])
    assert "plan" in info.value.fields


@pytest.mark.parametrize("median, p10, p90, field", [
    ([], [], [], "forecast"),
    ([1.0, math.nan], [1.0, 1.0], [1.0, 2.0], "median"),
    ([1.0, 2.0], [1.0, math.inf], [1.0, 2.0], "p10"),
    ([1.0, -2.0], [1.0, -3.0], [1.0, 2.0], "median"),
    ([1.0, 2.0], [1.0, 2.5], [1.0, 3.0], "p10"),
    ([1.0, 2.0], [1.0, 1.0], [1.0, 1.5], "p90"),
    ([1.0, 2.0], [1.0], [1.0, 2.0], "p10"),
    ([[1.0]], [[1.0]], [[1.0]], "median"),
])
def test_bad_forecast_names_the_field(median, p10, p90, field):
    with pytest.raises(PlanValidationError) as info:
        Forecast(start=START, median=median, p10=p10, p90=p90)
    assert field in info.value.fields


def test_bad_forecast_start():
    with pytest.raises(PlanValidationError) as info:
        Forecast(start="not a time", median=[1.0], p10=[1.0], p90=[1.0])
    assert "start" in info.value.fields


def test_batch_validation():
    with pytest.raises(PlanValidationError) as info:
        ForecastBatch(start=np.array(["NaT"], dtype="datetime64[h]"), median=[[1.0]], p10=[[1.0]], p90=[[1.0]])
    assert "start" in info.value.fields
    with pytest.raises(PlanValidationError) as info:
        ForecastBatch(start=np.array(["2024-01-01T00"], dtype="datetime64[h]"),
                      median=np.zeros((1, 0)), p10=np.zeros((1, 0)), p90=np.zeros((1, 0)))
    assert "forecast" in info.value.fields
    with pytest.raises(PlanValidationError) as info:
        ForecastBatch.from_forecasts([forecast([1.0]), forecast([1.0, 2.0])])
    assert "forecast" in info.value.fields


def test_aware_start_is_converted_to_naive_utc():
    from datetime import timedelta, timezone
    aware = datetime(2024, 1, 15, 13, tzinfo=timezone(timedelta(hours=2)))
    rec = recommend(forecast([100.0, 200.0], start=aware), Plan.from_dict({"current_capacity": 1000}))
    assert rec.sizing["peak_timestamp"] == "2024-01-15T12:00:00"


def test_plan_batch_checks_columns_by_the_same_rules():
    good = PlanBatch.from_plans([Plan(current_capacity=10.0), Plan(current_capacity=20.0)])
    columns = {name: getattr(good, name) for name in good.__dataclass_fields__}
    for name, value, reason in [
        ("current_capacity", np.array([10.0, -1.0]), "must be a number from 1e-06 to 1e12 (plan 1)"),
        ("current_capacity", np.array([10.0, 2e12]), "(plan 1)"),
        ("scaling_threshold", np.array([np.nan, 0.8]), "must be a number from 0.01 to 1 (plan 0)"),
        ("min_hold_hours", np.array([3, 0]), "must be an integer from 1 to 8760 (plan 1)"),
        ("lead_time_hours", np.array([1, 8761]), "(plan 1)"),
        ("lead_time_hours", np.array([1.0, 1.0]), "integer array"),
        ("unit_capacity", np.array([np.nan, 0.0]), "must be a number from 0.01 to 1e12 (plan 1)"),
        ("quantile", np.array([0.9]), "1-D array of 2 values"),
    ]:
        with pytest.raises(PlanValidationError) as info:
            PlanBatch(**{**columns, name: value})
        assert reason in info.value.fields[name]
    with pytest.raises(PlanValidationError) as info:
        PlanBatch(**{**columns, "min_capacity": np.array([5.0, np.nan]), "max_capacity": np.array([4.0, 1.0])})
    assert "plan 0" in info.value.fields["max_capacity"]
