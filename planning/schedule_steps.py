"""A schedule's changes as a short list of steps, each with the hour whose p90 load sets it (structured facts).

A step starts at a change hour and lasts until the next change, or to the end of the forecast. The hours
before the first change hold the current capacity, which is already in place, so they are no step. Each
change sets the schedule's target(k): the largest need over [k, k + lead_time_hours + min_hold_hours)
(see schedule.py), so the hour of the largest p90 in that window is the one that sets the step.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

UP, DOWN = "up", "down"
STEP_FIELDS = ("start_hour", "end_hour", "capacity", "instances", "previous", "previous_instances",
               "peak_hour", "p90_load", "direction", "limit")


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """One change of a schedule; hours are offsets from the schedule's start."""

    start_hour: int                 # the change hour
    end_hour: int                   # exclusive: the next change, or the forecast's hours
    capacity: float                 # held over [start_hour, end_hour)
    instances: int | None           # with unit_capacity: ceil(capacity / unit_capacity)
    previous: float                 # held before start_hour (hour 0: the current capacity)
    previous_instances: int | None
    peak_hour: int                  # the hour of the largest p90 over the step's target window
    p90_load: float                 # that hour's p90 load
    direction: str                  # UP or DOWN
    limit: str | None               # "max_capacity" or "min_capacity" when that bound, not the p90, set it

    def as_dict(self) -> dict:
        return asdict(self)


def schedule_steps(schedule: dict, p90: list[float], current_capacity: float, threshold: float,
                   unit_capacity: float | None = None) -> list[ScheduleStep]:
    """The steps of one plan's ``scaling_schedule`` (as the analysis returns it), given the forecast's p90 [H]."""
    capacity = schedule["capacity"]                                  # [H]
    hours = len(capacity)
    if len(p90) != hours:
        raise ValueError(f"p90 has {len(p90)} hours, the schedule {hours}")
    changes = sorted(schedule.get("change_hours") or [])
    window = int(schedule.get("lead_time_hours") or 0) + int(schedule.get("min_hold_hours") or 1)
    low, high = schedule.get("min_capacity"), schedule.get("max_capacity")
    counts = schedule.get("instances") if unit_capacity else None    # [H]: the schedule's own rounding
    steps = []
    for n, start in enumerate(changes):
        end = changes[n + 1] if n + 1 < len(changes) else hours
        before = current_capacity if start == 0 else capacity[start - 1]
        peak = max(range(start, min(hours, start + window)), key=lambda k: p90[k])
        held = capacity[start]
        steps.append(ScheduleStep(
            start_hour=start, end_hour=end, capacity=held,
            instances=counts[start] if counts else instances(held, unit_capacity), previous=before,
            previous_instances=counts[start - 1] if counts and start else instances(before, unit_capacity),
            peak_hour=peak,
            p90_load=p90[peak], direction=UP if held > before else DOWN,
            limit=_limit(held, p90[peak] / threshold, unit_capacity, low, high)))
    return steps


def instances(capacity: float, unit_capacity: float | None) -> int | None:
    """Whole instances for a capacity, rounded up with the schedule's slack (None without unit_capacity)."""
    if not unit_capacity:
        return None
    ratio = capacity / unit_capacity
    nearest = round(ratio)
    # The schedule's capacity is a whole number of units times unit_capacity: float dust must not add one.
    return int(nearest) if math.isclose(ratio, nearest, rel_tol=1e-12, abs_tol=1e-9) else math.ceil(ratio)


def _limit(held: float, raw_need: float, unit: float | None, low, high) -> str | None:
    """Which bound, if any, set the held capacity instead of the p90's own need."""
    if high is not None and held >= high and raw_need > held:
        return "max_capacity"
    need = (math.ceil(raw_need / unit) * unit) if unit else math.ceil(raw_need)
    if low is not None and held <= low and need < held:
        return "min_capacity"
    return None


def instance_bounds(schedule: dict, unit_capacity: float | None) -> tuple[int | None, int | None]:
    """(min, max) instances the plan's min_capacity and max_capacity allow; None where no bound was given.

    The schedule counts instances as ceil(capacity / unit) of capacities clipped to [min_capacity,
    max_capacity], so the bounds are counted the same way.
    """
    if not unit_capacity:
        return None, None
    low, high = schedule.get("min_capacity"), schedule.get("max_capacity")
    return (None if low is None else instances(low, unit_capacity),
            None if high is None else instances(high, unit_capacity))


def step_columns(steps: list[ScheduleStep]) -> dict:
    """Steps as a few short columns, for a batch's stored per-plan result: what the others follow from.

    ``peak_after`` is the peak hour's offset from its step's start (small numbers pack small); ``limit`` is
    left out when no bound set any step.
    """
    columns = {"hour": [s.start_hour for s in steps], "capacity": [_whole(s.capacity) for s in steps],
               "instances": [s.instances for s in steps], "peak_after": [s.peak_hour - s.start_hour for s in steps],
               "p90_load": [_whole(s.p90_load) for s in steps]}
    if any(s.limit for s in steps):
        columns["limit"] = [s.limit for s in steps]
    if all(n is None for n in columns["instances"]):
        del columns["instances"]
    return columns


def _whole(value: float) -> float | int:
    """1017 rather than 1017.0: two bytes less per number, thousands of times in a batch."""
    return int(value) if float(value).is_integer() and abs(value) < 2 ** 53 else value


def steps_from_columns(columns: dict, hours: int, current_capacity: float,
                       unit_capacity: float | None = None) -> list[ScheduleStep]:
    """The steps ``step_columns`` kept, whole again."""
    starts = columns["hour"]
    counts = columns.get("instances") or [None] * len(starts)
    limits = columns.get("limit") or [None] * len(starts)
    steps = []
    previous, previous_count = current_capacity, instances(current_capacity, unit_capacity)
    for n, start in enumerate(starts):
        held = columns["capacity"][n]
        steps.append(ScheduleStep(
            start_hour=start, end_hour=starts[n + 1] if n + 1 < len(starts) else hours, capacity=held,
            instances=counts[n], previous=previous, previous_instances=previous_count,
            peak_hour=start + columns["peak_after"][n], p90_load=columns["p90_load"][n],
            direction=UP if held > previous else DOWN, limit=limits[n]))
        previous, previous_count = held, counts[n]
    return steps
