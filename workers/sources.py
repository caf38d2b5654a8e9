"""Histories a request names by ``source`` (jobs.job_request.HistorySource), fetched here, in the worker.

A fetched series becomes exactly what the same samples sent inline as {timestamp, load} points would
have been (jobs.hourly_series: hourly means, empty hours and "NaN" samples counted and interpolated), and
the request then reads like any request with a history, plus where it came from. A source that fails
fails its own request or plan with a SourceError's code and message, never the group or the chunk.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from connectors.prometheus import SOURCE_ERROR, SOURCE_UNAVAILABLE, PrometheusClient, Series, SourceError
from connectors.targets import Connectors
from jobs.hourly_series import hourly_series
from jobs.job_request import TS_FORMAT, HistorySource, JobRequest
from planning.plan_options import MAX_AMOUNT
from workers import isolation

log = logging.getLogger("capplan.worker")
STATUS = {SOURCE_UNAVAILABLE: 502, SOURCE_ERROR: 422}     # a job's HTTP status when its source failed
MAX_LABELS_SHOWN = 200
# A target that did not answer is not called again for this long: a chunk of 250 plans on a Prometheus that
# times out would otherwise wait 250 x (timeout x retries) and pass its task's time limit.
DOWN_FOR_S = 5.0


class SourceClients:
    """This worker process's clients of the Prometheus targets in its CAPPLAN_CONFIG, one per target."""

    def __init__(self, connectors: Connectors | None):
        self.connectors = connectors or Connectors()
        self._clients: dict[str, PrometheusClient] = {}
        self._down: dict[str, tuple[float, SourceError]] = {}     # name -> (when, why) it last did not answer

    def client(self, name: str) -> PrometheusClient:
        if name not in self._clients:
            target = self.connectors.find("prometheus", name)
            if target is None:
                raise SourceError(SOURCE_ERROR, f"prometheus:{name}: not configured in this worker's "
                                                "CAPPLAN_CONFIG (the API's and the workers' must list the same)")
            self._clients[name] = PrometheusClient(target)
        return self._clients[name]

    def fetch(self, source: HistorySource) -> tuple[str, list[Series], list[str]]:
        """(target label, series, warnings) of a source's query over its hours."""
        name = source["prometheus"]
        client = self.client(name)
        down = self._down.get(name)
        if down and time.monotonic() - down[0] < DOWN_FOR_S:
            raise SourceError(SOURCE_UNAVAILABLE, f"{down[1].message} (not called again for {DOWN_FOR_S:g} s)")
        start, end = (datetime.strptime(source[k], TS_FORMAT) for k in ("start", "end"))
        try:
            found = client.query_range(source["query"], start, end)
        except SourceError as e:
            if e.code == SOURCE_UNAVAILABLE:
                self._down[name] = (time.monotonic(), e)
            raise
        self._down.pop(name, None)
        if found.warnings:
            log.warning("history source warned", extra={"target": client.label, "warnings": found.warnings})
        return client.label, found.series, found.warnings

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _hours_since_epoch(text: str) -> int:
    return int(datetime.strptime(text, TS_FORMAT).replace(tzinfo=timezone.utc).timestamp()) // 3600


def described(labels: dict) -> str:
    text = "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return text if len(text) <= MAX_LABELS_SHOWN else text[:MAX_LABELS_SHOWN] + "...}"


def resolved(request: JobRequest, label: str, series: Series, warnings: list[str]) -> JobRequest:
    """``request`` with the series as its hourly history up to its timestamp, in place of its source."""
    if not len(series.values):
        raise SourceError(SOURCE_ERROR, f"{label}: the series {described(series.labels)} has no number in the "
                                        f"range, only NaN or no samples")
    bad = int(((series.values < 0) | (series.values > MAX_AMOUNT)).sum())
    if bad:
        raise SourceError(SOURCE_ERROR, f"{label}: the series {described(series.labels)} has {bad} values "
                                        f"outside 0 to {MAX_AMOUNT:g}, which no load can be")
    source = request["source"]
    hourly = hourly_series(series.hours, series.values, _hours_since_epoch(source["end"]))   # [span]
    values = hourly.values
    if request.get("current_load") is not None:
        values[-1] = request["current_load"]      # the load at `timestamp` is the last history value
    out: JobRequest = {k: v for k, v in request.items() if k != "source"}     # type: ignore[assignment]
    out.update(history=values.tolist(), gaps_filled=hourly.gaps_filled, history_source=label,
               history_query=source["query"])
    if warnings:
        out["source_warnings"] = warnings
    return out


def one_series(request: JobRequest, clients: SourceClients) -> JobRequest:
    """The request with its source's one series as history; zero or several series is a SourceError."""
    label, series, warnings = clients.fetch(request["source"])
    if len(series) != 1:
        shown = ", ".join(described(one.labels) for one in series[:3]) + (", ..." if len(series) > 3 else "")
        what = f"{len(series)} series ({shown})" if series else "no series"
        raise SourceError(SOURCE_ERROR, f"{label}: the query returned {what}; it must return exactly one "
                                        "(a batch plan can take one plan per series with plan_per_series)")
    return resolved(request, label, series[0], warnings)


def resolve_requests(requests: list[JobRequest], clients: SourceClients | None,
                     describe: isolation.Describe) -> list:
    """Each request with its source fetched (others as they are), or the SourceError that failed it."""
    clients = clients or SourceClients(None)
    out: list = []
    for i, request in enumerate(requests):
        if "source" not in request:
            out.append(request)
            continue
        try:
            out.append(one_series(request, clients))
        except SourceError as e:
            log.warning("history source failed", extra={**describe(i), "code": e.code, "error": e.message})
            out.append(e)
        except isolation.NEVER_ISOLATED:
            raise
        except Exception:                                  # a bug here fails this request, not its group
            log.exception("history source failed", extra=describe(i))
            out.append(SourceError(SOURCE_ERROR, f"prometheus:{request['source']['prometheus']}: the answer "
                                                 "could not be read"))
    return out


def error_fields(error: SourceError) -> dict:
    """A failed source as a per-plan error ({code, message, fields})."""
    return {"code": error.code, "message": error.message, "fields": {}}


def job_error(error: SourceError) -> dict:
    """A failed source as a job's error ({code, message, status})."""
    return {"code": error.code, "message": error.message, "status": STATUS.get(error.code, 422)}
