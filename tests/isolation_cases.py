"""Job requests as the API stores them, and the inputs that once wedged jobs (issue 23), for worker tests.

The API's schema now refuses every one of these inputs at the edge; ``loose_plan_domains`` gives planning
back its earlier, unbounded domains so that they get past validation again inside the worker, as some
value always might.
"""
from __future__ import annotations

import dataclasses
from unittest import mock

import pytest

TIMESTAMP = "2024-01-15T10:00:00"

# name -> (plan options, request fields): each crashed its whole chunk, its portfolio or its group, or
# answered Infinity, NaN, null or -9223372036854775808 where a number belongs.
WEDGING = {
    "lead_time_1e300": ({"lead_time_hours": 10 ** 300}, {}),
    "min_hold_1e300": ({"min_hold_hours": 10 ** 300}, {}),
    "current_load_1e308": ({}, {"current_load": 1e308}),
    "history_1e308": ({}, {"history": [1e308] * 48, "current_load": None}),
    "unit_5e-324_cost_1e308": ({"unit_capacity": 5e-324, "unit_cost_per_hour": 1e308}, {}),
    "threshold_5e-324": ({"scaling_threshold": 5e-324}, {}),
    "capacity_5e-324": ({"current_capacity": 5e-324}, {}),
    "capacity_1e308": ({"current_capacity": 1e308}, {}),
    "headroom_1e308": ({"headroom": 1e308}, {}),
    "load_and_capacity_1e300": ({"current_capacity": 1e300}, {"current_load": 1e300}),
}


def job_request(plan: dict | None = None, hours: int = 48, **fields) -> dict:
    """A normalised job request (jobs.job_request.JobRequest); ``plan=None`` for a forecast."""
    request = {"hours_ahead": hours, "timestamp": TIMESTAMP, "history": None, "current_load": 900.0,
               "gaps_filled": 0, **fields}
    if plan is not None:
        request["plan"] = {"current_capacity": 3000, **plan}
    return request


def wedging_request(name: str, hours: int = 48) -> dict:
    plan, fields = WEDGING[name]
    return job_request(plan, hours, **fields)


def loose_options() -> dict:
    """Planning's option domains as they were before their bounds: positive, not bounded above."""
    from planning.plan_options import PLAN_OPTIONS

    def loose(name, option):
        if name in ("scaling_threshold", "unit_capacity"):
            return dataclasses.replace(option, gt=0, ge=None, le=1 if name == "scaling_threshold" else None)
        return dataclasses.replace(option, le=None)

    return {name: loose(name, option) for name, option in PLAN_OPTIONS.items()}


def loose_plan_domains_in():
    """A context in which planning checks plans against ``loose_options()``."""
    import planning.plan

    return mock.patch.object(planning.plan, "PLAN_OPTIONS", loose_options())


@pytest.fixture
def loose_plan_domains():
    with loose_plan_domains_in():
        yield
