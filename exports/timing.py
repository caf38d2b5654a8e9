"""When each step happens: local times in the request's zone, weekly crons, and the steps still to come."""
from __future__ import annotations

from datetime import datetime, timedelta

from capplan.errors import ServiceError
from exports.model import ExportOptions, ScheduleExport
from planning.schedule_steps import ScheduleStep

WEEK = timedelta(days=7)
LEAD = timedelta(minutes=2)      # an in-progress step starts this far after the export, on a whole minute


class NothingToExport(ServiceError):
    status = 409
    code = "nothing_to_export"


def local(when: datetime, options: ExportOptions) -> datetime:
    return when.astimezone(options.zone)


def weekly_cron(when: datetime) -> str:
    """Five-field cron for ``when``'s minute, hour and day of week (0 = Sunday), every week."""
    return f"{when.minute} {when.hour} * * {when.isoweekday() % 7}"


def cron_window(export: ScheduleExport, step: ScheduleStep, options: ExportOptions) -> tuple[str, str]:
    """(start, end) crons of a step in the request's zone. A step of a whole week or more ends a minute
    before it would start again, so that start and end differ and the window does not close at once."""
    start, end = export.at(step.start_hour), export.at(step.end_hour)
    end = min(end, start + WEEK - timedelta(minutes=1))
    return weekly_cron(local(start, options)), weekly_cron(local(end, options))


def upcoming(export: ScheduleExport, options: ExportOptions) -> list[tuple[ScheduleStep, datetime]]:
    """(step, UTC start) of the steps not yet over at ``options.now``: an ended step is dropped, one in
    progress starts at the first whole minute at least LEAD after now (one-shot actions need a future time)."""
    soon = (options.now + LEAD).replace(second=0, microsecond=0) + timedelta(minutes=1)
    kept = []
    for step in export.steps:
        start, end = export.at(step.start_hour), export.at(step.end_hour)
        if end <= soon:
            continue
        kept.append((step, max(start, soon)))
    return kept


def refuse_empty(found: list, export: ScheduleExport, what: str) -> None:
    if not found:
        raise NothingToExport(f"the schedule of {export.name} has no {what}: it holds the current capacity, "
                              "or its changes are over")
