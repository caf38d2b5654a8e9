"""A schedule's steps: one per change, each with the capacity it holds and the hour whose p90 sets it."""
from __future__ import annotations

import pytest

from planning.schedule_steps import instance_bounds, instances, schedule_steps
from tests.schedule_fixtures import analysis_result


def steps_of(result: dict):
    analysis = result["analysis"]
    schedule, summary = analysis["scaling_schedule"], analysis["summary"]
    unit = (analysis["recommendations"].get("instances") or {}).get("unit_capacity")
    p90 = [p["upper"] for p in result["forecast"]["forecast"]]
    return schedule, p90, schedule_steps(schedule, p90, summary["current_capacity"], summary["scaling_threshold"],
                                         unit)


@pytest.mark.parametrize("plan", [
    {}, {"min_capacity": 3000, "max_capacity": 4500}, {"lead_time_hours": 3, "min_hold_hours": 6},
    {"unit_capacity": 333, "hysteresis": 0.0}, {"current_capacity": 100_000}])
def test_each_change_is_one_step_that_holds_the_schedule_until_the_next(plan):
    schedule, p90, steps = steps_of(analysis_result(**plan))
    assert [s.start_hour for s in steps] == schedule["change_hours"] and steps
    assert [s.end_hour for s in steps] == schedule["change_hours"][1:] + [schedule["hours"]]
    for before, step in zip([None] + steps, steps):
        assert set(schedule["capacity"][step.start_hour:step.end_hour]) == {step.capacity}
        assert step.instances == schedule["instances"][step.start_hour]
        if before is not None:
            assert (step.previous, step.previous_instances) == (before.capacity, before.instances)
        assert step.direction == ("up" if step.capacity > step.previous else "down")


def test_the_peak_hour_is_the_largest_p90_of_the_window_the_change_sizes_for():
    schedule, p90, steps = steps_of(analysis_result(lead_time_hours=2, min_hold_hours=4))
    for step in steps:
        window = p90[step.start_hour:step.start_hour + 2 + 4]
        assert step.p90_load == max(window) == p90[step.peak_hour]
        assert step.start_hour <= step.peak_hour < step.start_hour + 6
        if step.limit is None:         # the p90 there, over the threshold, is what the step holds
            assert step.instances == instances(step.p90_load / 0.8, 250)


def test_a_bound_that_sets_the_capacity_is_named():
    _, _, capped = steps_of(analysis_result(max_capacity=3500))
    assert any(s.limit == "max_capacity" and s.capacity == 3500 for s in capped)
    _, _, floored = steps_of(analysis_result(min_capacity=5000, current_capacity=8000))
    assert floored[0].limit == "min_capacity" and floored[0].capacity == 5000 and floored[0].direction == "down"
    _, _, free = steps_of(analysis_result())
    assert all(s.limit is None for s in free)


def test_instances_round_up_without_float_dust():
    assert instances(1000.0000000000002, 250) == 4
    assert instances(1001, 250) == 5
    assert instances(1000, None) is None
    assert instance_bounds({"min_capacity": 500, "max_capacity": 1001}, 250) == (2, 5)
    assert instance_bounds({"min_capacity": None, "max_capacity": None}, 250) == (None, None)


def test_a_p90_of_another_length_is_refused():
    schedule, p90, _ = steps_of(analysis_result())
    with pytest.raises(ValueError):
        schedule_steps(schedule, p90[:-1], 3000, 0.8, 250)


@pytest.mark.parametrize("plan", [{}, {"unit_capacity": None}, {"max_capacity": 3500}])
def test_steps_kept_as_columns_come_back_whole(plan):
    from planning.schedule_steps import step_columns, steps_from_columns

    schedule, _, steps = steps_of(analysis_result(**plan))
    columns = step_columns(steps)
    assert ("limit" in columns) == ("max_capacity" in plan) and ("instances" in columns) == ("unit_capacity" not in plan)
    back = steps_from_columns(columns, schedule["hours"], analysis_result(**plan)["analysis"]["summary"][
        "current_capacity"], plan.get("unit_capacity", 250))
    assert back == steps
