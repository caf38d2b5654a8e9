"""A ScheduleExport from what a job stored: an analysis job's result, or one plan of a batch."""
from __future__ import annotations

from datetime import datetime, timezone

from capplan.errors import ServiceError
from exports.model import ScheduleExport
from planning.schedule_steps import instance_bounds, schedule_steps, steps_from_columns


class NoSchedule(ServiceError):
    status = 409
    code = "no_schedule"


def _start(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)      # the API's naive UTC


def from_analysis(job_id: str, result: dict) -> ScheduleExport:
    """An analysis job's result holds the hourly schedule and the forecast's p90: the steps are made here."""
    analysis = result.get("analysis") or {}
    schedule = analysis.get("scaling_schedule")
    if not schedule:
        raise NoSchedule(f"job {job_id} has no scaling_schedule")
    summary = analysis.get("summary") or {}
    unit = ((analysis.get("recommendations") or {}).get("instances") or {}).get("unit_capacity")
    p90 = [point["upper"] for point in (result.get("forecast") or {}).get("forecast") or []]
    steps = schedule_steps(schedule, p90, summary["current_capacity"], summary["scaling_threshold"], unit)
    low, high = instance_bounds(schedule, unit)
    return ScheduleExport(name=job_id, start=_start(schedule["start"]), hours=schedule["hours"],
                          threshold=summary["scaling_threshold"], unit_capacity=unit, steps=steps,
                          min_instances=low, max_instances=high)


def from_plan(job_id: str, plan: dict) -> ScheduleExport:
    """A batch plan's stored result keeps its steps (workers.batch_runner.plan_result); a failed plan has none."""
    if not plan.get("success"):
        message = (plan.get("error") or {}).get("message") or "no reason given"
        raise ServiceError(f"plan {plan.get('id')} of job {job_id} failed, so it has no schedule: {message}",
                           {"plan_id": "that plan failed"}, status=409, code="plan_failed")
    schedule = plan.get("schedule") or {}
    if "steps" not in schedule:
        raise NoSchedule(f"plan {plan.get('id')} of job {job_id} was stored without its schedule steps "
                         "(by an older version); submit the batch again")
    unit = schedule.get("unit_capacity")
    low, high = instance_bounds(schedule, unit)
    return ScheduleExport(name=str(plan.get("id")), start=_start(schedule["start"]), hours=schedule["hours"],
                          threshold=(plan.get("summary") or {})["scaling_threshold"], unit_capacity=unit,
                          steps=steps_from_columns(schedule["steps"], schedule["hours"],
                                                   schedule["current_capacity"], unit),
                          min_instances=low, max_instances=high)
