"""What a task does: read jobs, forecast them in one batched pass, plan, store bodies. No Celery here."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import numpy as np

from capplan.logs import job_id_var, request_id_var
from jobs.job_request import TS_FORMAT
from jobs.store import OPEN, JobStore
from workers import results as shapes

log = logging.getLogger("capplan.worker")
PLANNED_KEY = {"recommendations": "recommendations", "analysis": "analysis"}
# A made-up history is kept just under two weeks: a backtest on it would only test the model against its
# own profile, and would double the network work of every request without history. The network's context
# is filled by repeating its weeks, which gives the same input as a longer synthetic history.
SYNTHETIC_HOURS = 2 * 168 - 1


class ModelUnavailable(Exception):
    """The worker's model did not load; every job it is given fails with this reason."""


def _series(forecaster, request: dict):
    last = datetime.strptime(request["timestamp"], TS_FORMAT)
    if request.get("history"):
        return np.asarray(request["history"], dtype=float), last, "provided"
    return forecaster.synthetic_history(request["current_load"], last, SYNTHETIC_HOURS), last, "synthetic"


def run_forecasts(forecaster, requests: list[dict], metrics=None) -> list[tuple]:
    """(ForecastOutput, history source) for each request, from ONE batched network pass."""
    from models.serving import ModelNotLoaded

    series = [_series(forecaster, r) for r in requests]
    started = time.perf_counter()
    try:
        outputs = forecaster.forecast([s[0] for s in series], [s[1] for s in series],
                                      [r["hours_ahead"] for r in requests])
    except ModelNotLoaded as e:
        raise ModelUnavailable(f"the model is not loaded: {forecaster.info.get('error') or e}") from None
    if metrics is not None:
        metrics.observe_inference(time.perf_counter() - started, len(requests))
    return [(out, s[2]) for out, s in zip(outputs, series)]


def planning_forecast(request: dict, output):
    """planning's Forecast of one output: the first hour is one hour after the request's timestamp."""
    from planning import Forecast

    start = datetime.strptime(request["timestamp"], TS_FORMAT) + timedelta(hours=1)
    return Forecast(start=start, median=output.median, p10=output.p10, p90=output.p90)


def plan_requests(kind: str, requests: list[dict], outputs: list) -> list[dict]:
    """Recommendations or analyses as plain JSON, vectorised over requests of equal horizon."""
    from planning import Plan, analyze_each, recommend_each, to_jsonable

    run = recommend_each if kind == "recommendations" else analyze_each
    planned = run([planning_forecast(r, o) for r, o in zip(requests, outputs)],
                  [Plan.from_dict(r["plan"]) for r in requests])
    return [to_jsonable(p) for p in planned]


def job_bodies(forecaster, records: list[dict], metrics=None) -> list[tuple[str, str, dict]]:
    """(job_id, status, body) for each job record; one forward pass for all of them."""
    requests = [r["request"] for r in records]
    try:
        forecasts = run_forecasts(forecaster, requests, metrics)
    except ModelUnavailable as e:
        error = {"code": "model_unavailable", "message": str(e), "status": 503}
        return [(r["job_id"], "failed", error) for r in records]
    info = forecaster.info
    fields = [shapes.forecast_fields(req, out, source, info) for req, (out, source) in zip(requests, forecasts)]
    bodies: list[dict | None] = [None] * len(records)
    for kind in ("forecast", "recommendations", "analysis"):
        idx = [i for i, r in enumerate(records) if r["kind"] == kind]
        if kind == "forecast":
            for i in idx:
                bodies[i] = shapes.forecast_body(fields[i])
        elif idx:
            planned = plan_requests(kind, [requests[i] for i in idx], [forecasts[i][0] for i in idx])
            for i, p in zip(idx, planned):
                bodies[i] = shapes.planned_body(fields[i], PLANNED_KEY[kind], p)
    return [(r["job_id"], "succeeded", b) for r, b in zip(records, bodies)]


def run_jobs(store: JobStore, forecaster, job_ids: list[str], metrics=None) -> int:
    """Run the still-open jobs among ``job_ids`` (a redelivered task skips finished ones); return how many."""
    records = [r for r in store.load(job_ids) if r and r["status"] in OPEN]
    if not records:
        return 0
    records = [r for r, ok in zip(records, store.start(r["job_id"] for r in records)) if ok]
    started = time.perf_counter()
    outcomes = job_bodies(forecaster, records, metrics)
    store.finish_many(outcomes)
    elapsed_ms = round(1000 * (time.perf_counter() - started), 2)
    for r, (_job_id, status, _body) in zip(records, outcomes):
        request_id_var.set(r["request_id"])
        job_id_var.set(r["job_id"])
        log.info("job %s", status, extra={"kind": r["kind"], "group": len(records), "elapsed_ms": elapsed_ms})
        if metrics is not None:
            metrics.count_jobs(r["kind"], status)
    request_id_var.set(None)
    job_id_var.set(None)
    if metrics is not None:
        metrics.flush()
    return len(outcomes)
