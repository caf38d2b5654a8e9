"""Each step's reason in words, from its structured facts (planning.schedule_steps), at the edge."""
from __future__ import annotations

from datetime import datetime

from planning.rounding import capacity_text
from planning.schedule_steps import UP, ScheduleStep

SHORT_TIME = "%a %H:%M"


def amount(step_value: float, instances: int | None) -> str:
    """``6 instances`` with unit_capacity, else the capacity: ``capacity 4,800``."""
    if instances is not None:
        return f"{instances:,} instance{'s' if instances != 1 else ''}"
    return f"capacity {capacity_text(step_value)}"


def step_reason(step: ScheduleStep, peak_time: datetime, threshold: float) -> str:
    """"p90 4,210 at Tue 09:00 needs 6 instances at the 80% threshold; up from 4"."""
    load = f"p90 {step.p90_load:,.0f} at {peak_time.strftime(SHORT_TIME)}"
    held = amount(step.capacity, step.instances)
    thr = f"{threshold:.0%}"
    if step.limit == "max_capacity":
        head = f"{load} needs more than the {held} max_capacity allows at the {thr} threshold"
    elif step.limit == "min_capacity":
        head = f"{load} needs less, but min_capacity keeps {held}"
    else:
        head = f"{load} needs {held} at the {thr} threshold"
    before = step.previous_instances if step.instances is not None else capacity_text(step.previous)
    word = "up" if step.direction == UP else "down"
    return f"{head}; {word} from {before:,}" if isinstance(before, int) else f"{head}; {word} from {before}"


def short_reason(step: ScheduleStep) -> str:
    """A name-safe reason: ``up-p90-4210`` or ``down-min-capacity``."""
    word = "up" if step.direction == UP else "down"
    if step.limit:
        return f"{word}-{step.limit.replace('_', '-')}"
    return f"{word}-p90-{step.p90_load:.0f}"
