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
    source: NotRequired[HistorySource]   # instead of history: a worker fetches it, then drops this entry
    history_source: NotRequired[str]     # after a fetch: where the history came from ("prometheus:prod")
    history_query: NotRequired[str]      # after a fetch: the query that gave it
    source_warnings: NotRequired[list[str]]  # after a fetch: what Prometheus warned of
    notify: NotRequired[list[str]]   # configured webhook or Alertmanager names to tell when the job ends


class HistorySource(TypedDict):
    """Where a worker fetches a request's history: a configured target by name, never its address."""

    prometheus: str                  # a [prometheus.NAME] of CAPPLAN_CONFIG
    query: str                       # PromQL
    start: str                       # TS_FORMAT: the first hour fetched
    end: str                         # TS_FORMAT: the last, the request's `timestamp`
    plan_per_series: NotRequired[str]  # a batch plan: one plan per series, its id this label's value


class PlanEntry(TypedDict):
    """One plan of a batch chunk: its request, or the error that made it fail alone."""

    id: str
    request: NotRequired[JobRequest]
    error: NotRequired[dict]         # {code, message, fields}, as the per-plan result shows it
