"""What a task does: read jobs, forecast them in one batched pass, plan, store bodies. No Celery here."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import numpy as np

from capplan.logs import job_id_var, request_id_var
from jobs.job_request import TS_FORMAT
from jobs.json_values import check_json
from jobs.store import OPEN, JobStore
from workers import isolation, results as shapes, sources

log = logging.getLogger("capplan.worker")
PLANNED_KEY = {"recommendations": "recommendations", "analysis": "analysis"}
# A made-up history is kept just under two weeks: a backtest on it would only test the model against its
# own profile, and would double the network work of every request without history. The network's context
# is filled by repeating its weeks, which gives the same input as a longer synthetic history.
SYNTHETIC_HOURS = 2 * 168 - 1
# A job that alone could not be computed (the rest of its group was): 422, since the same values fail again.
FAILED_JOB = {"code": isolation.COMPUTATION_ERROR, "message": isolation.COMPUTATION_MESSAGE, "status": 422}


class ModelUnavailable(Exception):
    """The worker's model did not load; every job it is given fails with this reason."""


def _no_ids(_position: int) -> dict:
    return {}


def _series(forecaster, request: dict):
    last = datetime.strptime(request["timestamp"], TS_FORMAT)
    if request.get("history"):
        return np.asarray(request["history"], dtype=float), last, request.get("history_source", "provided")
    return forecaster.synthetic_history(request["current_load"], last, SYNTHETIC_HOURS), last, "synthetic"


def run_forecasts(forecaster, requests: list[dict], metrics=None, describe: isolation.Describe = _no_ids) -> list:
    """(ForecastOutput, history source) for each request, from ONE batched network pass; FAILED for a
    request whose history or forecast raised (the pass is then split to find it)."""
    series = isolation.each(lambda request: _series(forecaster, request), requests, describe=describe)
    return isolation.bisected(lambda reqs, ser: _forecast_pass(forecaster, reqs, ser, metrics), requests, series,
                              describe=describe, passthrough=(ModelUnavailable,))


def _forecast_pass(forecaster, requests: list[dict], series: list[tuple], metrics) -> list[tuple]:
    from models.serving import ModelNotLoaded

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


def plan_requests(kind: str, requests: list[dict], outputs: list, describe: isolation.Describe = _no_ids) -> list:
    """Recommendations or analyses as plain JSON, vectorised over requests of equal horizon; FAILED for a
    request whose plan cannot be computed or whose numbers leave the float range."""
    from planning import Plan, analyze_each, recommend_each, to_jsonable

    run = recommend_each if kind == "recommendations" else analyze_each
    forecasts = isolation.each(planning_forecast, requests, outputs, describe=describe)
    plans = isolation.each(lambda request: Plan.from_dict(request["plan"]), requests, describe=describe)
    planned = isolation.bisected(lambda f, p: _strict(run, f, p), forecasts, plans, describe=describe)
    return isolation.each(lambda p: to_jsonable(p, strict=True), planned, describe=describe)


def _strict(run, forecasts: list, plans: list) -> list:
    with np.errstate(**isolation.STRICT_FLOATS):
        return run(forecasts, plans)


def job_bodies(forecaster, records: list[dict], metrics=None,
               clients: sources.SourceClients | None = None) -> list[tuple[str, str, dict]]:
    """(job_id, status, body) for each job record; histories named by a source are fetched first, then one
    forward pass for all of them, and a job whose source or computation fails fails alone."""
    def ids(i: int) -> dict:
        return {"job_id": records[i]["job_id"], "request_id": records[i]["request_id"]}

    fetched = sources.resolve_requests([r["request"] for r in records], clients, ids)
    ready = [i for i, f in enumerate(fetched) if not isinstance(f, sources.SourceError)]
    outcomes = [(r["job_id"], "failed", sources.job_error(f)) if isinstance(f, sources.SourceError) else None
                for r, f in zip(records, fetched)]
    if ready:
        computed = _computed(forecaster, [{**records[i], "request": fetched[i]} for i in ready], metrics)
        for i, outcome in zip(ready, computed):
            outcomes[i] = outcome
    return outcomes


def _computed(forecaster, records: list[dict], metrics) -> list[tuple[str, str, dict]]:
    """job_bodies of records whose histories are all here."""
    requests = [r["request"] for r in records]

    def ids(i: int) -> dict:
        return {"job_id": records[i]["job_id"], "request_id": records[i]["request_id"]}

    try:
        forecasts = run_forecasts(forecaster, requests, metrics, ids)
    except ModelUnavailable as e:
        error = {"code": "model_unavailable", "message": str(e), "status": 503}
        return [(r["job_id"], "failed", error) for r in records]
    info = forecaster.info
    fields = isolation.each(lambda req, fc: shapes.forecast_fields(req, *fc, info), requests, forecasts,
                            describe=ids)
    bodies: list = [None] * len(records)
    for kind in ("forecast", "recommendations", "analysis"):
        idx = [i for i, r in enumerate(records) if r["kind"] == kind]
        if idx:
            made = _bodies(kind, [requests[i] for i in idx], [forecasts[i] for i in idx], [fields[i] for i in idx],
                           lambda k, idx=idx: ids(idx[k]))
            for i, body in zip(idx, made):
                bodies[i] = body
    bodies = isolation.each(_checked, bodies, describe=ids)
    return [(r["job_id"], "failed", FAILED_JOB) if b is isolation.FAILED else (r["job_id"], "succeeded", b)
            for r, b in zip(records, bodies)]


def _bodies(kind: str, requests: list[dict], forecasts: list, fields: list, describe: isolation.Describe) -> list:
    """The response bodies of jobs of one kind (FAILED where a step failed)."""
    if kind == "forecast":
        return isolation.each(shapes.forecast_body, fields, describe=describe)
    outputs = isolation.each(lambda forecast: forecast[0], forecasts, describe=describe)
    planned = plan_requests(kind, requests, outputs, describe)
    return isolation.each(lambda f, p: shapes.planned_body(f, PLANNED_KEY[kind], p), fields, planned,
                          describe=describe)


def _checked(body: dict) -> dict:
    check_json(body)
    return body


def run_jobs(store: JobStore, forecaster, job_ids: list[str], metrics=None,
             clients: sources.SourceClients | None = None, on_finished=None) -> int:
    """Run the still-open jobs among ``job_ids`` (a redelivered task skips finished ones); return how many.

    ``on_finished`` gets the records of the jobs this call finished (not those something else ended first).
    """
    records = [r for r in store.load(job_ids) if r and r["status"] in OPEN]
    if not records:
        return 0
    records = [r for r, ok in zip(records, store.start(r["job_id"] for r in records)) if ok]
    started = time.perf_counter()
    outcomes = job_bodies(forecaster, records, metrics, clients)
    won = store.finish_many(outcomes)
    if on_finished is not None:
        on_finished([r for r, ok in zip(records, won) if ok])
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
