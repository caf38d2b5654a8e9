"""The normalised job request: what the API stores in a job, checked and complete, and a worker runs.

The API parses a client's body into these shapes (api.job_requests); a worker takes them as they are
and never sees a raw body.
"""
from __future__ import annotations

from typing import NotRequired, TypedDict

TS_FORMAT = "%Y-%m-%dT%H:%M:%S"   # naive UTC, whole hours


class JobRequest(TypedDict):
    hours_ahead: int                 # 1..168
    timestamp: str                   # TS_FORMAT: the hour of the last observed load
    history: list[float] | None      # [T] hourly loads, oldest first, the last one at `timestamp`
    current_load: float | None       # the load at `timestamp` (also history's last value when both came)
    gaps_filled: int                 # empty hours of a point history, interpolated
    timestamp_assumed: NotRequired[bool]  # no timestamp came: `timestamp` is the hour the API received it
    plan: NotRequired[dict]          # planning's Plan options, already checked; absent for a forecast
    notify: NotRequired[list[str]]   # configured webhook or Alertmanager names to tell when the job ends


class PlanEntry(TypedDict):
    """One plan of a batch chunk: its request, or the error that made it fail alone."""

    id: str
    request: NotRequired[JobRequest]
    error: NotRequired[dict]         # {code, message, fields}, as the per-plan result shows it
