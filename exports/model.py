"""What every export format reads: one plan's schedule steps placed in time, and the options of the request."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from capplan.errors import InvalidRequest
from planning.schedule_steps import ScheduleStep

K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")   # RFC 1123 label: every Kubernetes name fits
DEFAULT_TARGET = "workload"
UNIT_MISSING = "unit_capacity was not given in the plan, so the schedule has no instance counts; " \
               "give it, or ask for format=csv (capacities)"


@dataclass(frozen=True, slots=True)
class ScheduleExport:
    """One plan's schedule as the exports read it; hours are offsets from ``start`` (aware, UTC)."""

    name: str                        # the plan's id, or the job id of an analysis
    start: datetime
    hours: int
    threshold: float
    unit_capacity: float | None
    steps: list[ScheduleStep]
    min_instances: int | None = None     # the plan's min_capacity / max_capacity as instances
    max_instances: int | None = None

    def at(self, hour: int) -> datetime:
        return self.start + timedelta(hours=hour)

    def replicas_needed(self) -> None:
        """Formats that set replicas refuse a plan without unit_capacity."""
        if not self.unit_capacity:
            raise InvalidRequest(UNIT_MISSING, {"unit_capacity": "was not given in the plan"})


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """The request's choices: the zone times are written in, the Kubernetes target, the AWS group, now."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    target: str | None = None
    asg: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def default_target(name: str) -> str:
    """The plan's id when it is a valid Kubernetes name, else ``workload``."""
    return name if K8S_NAME.match(name) else DEFAULT_TARGET


def check_target(target: str) -> str:
    if not K8S_NAME.match(target):
        raise InvalidRequest.field("target", "must be a Kubernetes name: 1-63 of a-z 0-9 -, starting and "
                                             "ending with a letter or digit")
    return target


def safe_label(text: str, most: int = 64) -> str:
    """``text`` reduced to A-Z a-z 0-9 _ - for names built from a client's plan id."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:most] or "plan"
