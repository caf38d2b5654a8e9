"""One CSV row per step with its reason; works with capacities alone (no unit_capacity needed)."""
from __future__ import annotations

import csv
import io

from capplan.csv_cells import neutralise_row
from exports.model import ExportOptions, ScheduleExport
from exports.reasons import step_reason
from exports.timing import local

MEDIA_TYPE = "text/csv"
COLUMNS = ["step", "start", "end", "start_utc", "end_utc", "capacity", "instances", "previous_capacity",
           "previous_instances", "peak_hour", "p90_load", "direction", "limit", "reason"]
STAMP = "%Y-%m-%dT%H:%M:%S%z"
UTC_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _number(value: float) -> float | int:
    """5000 rather than 5000.0, as the API writes whole capacities."""
    return int(value) if float(value).is_integer() else value


def render(export: ScheduleExport, options: ExportOptions) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n, step in enumerate(export.steps, 1):
        start, end, peak = export.at(step.start_hour), export.at(step.end_hour), export.at(step.peak_hour)
        writer.writerow(neutralise_row([
            n, local(start, options).strftime(STAMP), local(end, options).strftime(STAMP),
            start.strftime(UTC_STAMP), end.strftime(UTC_STAMP), _number(step.capacity), step.instances,
            _number(step.previous), step.previous_instances, local(peak, options).strftime(STAMP),
            _number(step.p90_load), step.direction,
            step.limit or "", step_reason(step, local(peak, options), export.threshold)]))
    return out.getvalue()
