"""One chunk of a batch job: one network pass over its valid plans, analyse, store.

The API normalised every plan at submission (jobs.job_request.PlanEntry); a plan it found invalid
carries its error, stored here as that plan's result. The chunk that finds every chunk finished
builds the portfolio and closes the job. A chunk that runs twice (redelivered after a worker died)
rewrites the same results, so the job still completes once.
"""
from __future__ import annotations

import logging

import numpy as np

from capplan.logs import job_id_var, request_id_var
from jobs.job_request import JobRequest, PlanEntry
from jobs.store import OPEN, JobStore
from workers import isolation, results as shapes, sources
from workers.runner import ModelUnavailable, plan_requests, run_forecasts

log = logging.getLogger("capplan.worker")
FAILED_PLAN = {"code": isolation.COMPUTATION_ERROR, "message": isolation.COMPUTATION_MESSAGE, "fields": {}}
PORTFOLIO_FAILED = {"code": "portfolio_failed", "status": 500,
                    "message": "every plan was computed, but not the portfolio over them; see the per-plan results"}
SCHEDULE_TOTALS = ("capacity_hours", "static_capacity_hours", "saving_capacity_hours", "saving_percent",
                   "scaling_actions")
SCHEDULE_PLACE = ("start", "hours", "min_capacity", "max_capacity")   # what the exports need besides the steps


def _split(plans: list[PlanEntry], offset: int) -> tuple[list[tuple[int, str, JobRequest]], dict[int, dict]]:
    """(index, id, job request) of the valid plans, and the error result of each invalid one."""
    valid, errors = [], {}
    for i, plan in enumerate(plans):
        index = offset + i
        if "error" in plan:
            errors[index] = _error(index, plan["id"], plan["error"])
        else:
            valid.append((index, plan["id"], plan["request"]))
    return valid, errors


def _error(index: int, plan_id: str, error: dict) -> dict:
    """A failed plan's result; ``error`` is {code, message, fields}."""
    return {"index": index, "id": plan_id, "success": False, "error": error}


def plan_result(index: int, plan_id: str, request: JobRequest, output, source: str, analysis: dict,
                breach: dict | None = None) -> dict:
    """What a batch keeps per plan: the recommendation and risk, the predicted breach, and the schedule's
    totals and its changes (steps, for the schedule exports), not the hourly series."""
    found = shapes.assumptions(request, output, source)
    level = shapes.confidence(found)
    shapes.qualify_recommendation(analysis["recommendations"], level)
    result = {"index": index, "id": plan_id, "success": True, "hours_ahead": len(output.median),
              "method": output.method, "history_source": source, "assumptions": found, "confidence": level,
              "summary": analysis["summary"], "recommendations": analysis["recommendations"],
              "risk_assessment": analysis["risk_assessment"],
              "schedule": kept_schedule(request, output, analysis), "breach": breach}
    if "history_query" in request:
        result["history_query"] = request["history_query"]
    if analysis.get("cost") is not None:
        result["cost"] = analysis["cost"]
    return result


def kept_schedule(request: JobRequest, output, analysis: dict) -> dict:
    """The schedule's totals, where it sits in time, and its steps: a few per plan, not its hours."""
    from planning.schedule_steps import schedule_steps, step_columns

    schedule = analysis["scaling_schedule"]
    unit = request["plan"].get("unit_capacity")
    p90 = np.round(np.asarray(output.p90, dtype=float), 2).tolist()
    current = request["plan"]["current_capacity"]
    steps = schedule_steps(schedule, p90, current, analysis["summary"]["scaling_threshold"], unit)
    return {**{k: schedule.get(k) for k in SCHEDULE_TOTALS + SCHEDULE_PLACE}, "unit_capacity": unit,
            "current_capacity": current, "steps": step_columns(steps)}


def analyse_chunk(forecaster, plans: list[PlanEntry], offset: int, metrics=None,
                  clients: sources.SourceClients | None = None) -> dict[int, dict]:
    """Per-plan results of one chunk, keyed by plan index; a plan that is invalid, whose source fails or
    that cannot be computed fails alone, not the chunk."""
    valid, results = _split(plans, offset)
    fetched = sources.resolve_requests([r for _, _, r in valid], clients,
                                       lambda k: {"plan": valid[k][0], "plan_id": valid[k][1]})
    for (index, plan_id, _), got in zip(valid, fetched):
        if isinstance(got, sources.SourceError):
            results[index] = _error(index, plan_id, sources.error_fields(got))
    valid = [(index, plan_id, got) for (index, plan_id, _), got in zip(valid, fetched)
             if not isinstance(got, sources.SourceError)]
    if not valid:
        return results
    requests = [r for _, _, r in valid]

    def ids(k: int) -> dict:
        return {"plan": valid[k][0], "plan_id": valid[k][1]}

    try:
        forecasts = run_forecasts(forecaster, requests, metrics, ids)
    except ModelUnavailable as e:
        error = {"code": "model_unavailable", "message": str(e), "fields": {}}
        for index, plan_id, _ in valid:
            results[index] = _error(index, plan_id, error)
        return results
    outputs = isolation.each(lambda forecast: forecast[0], forecasts, describe=ids)
    analyses = plan_requests("analysis", requests, outputs, ids)
    breaches = isolation.bisected(_breaches, requests, outputs, analyses, describe=ids)
    kept = isolation.each(lambda entry, forecast, analysis, breach: plan_result(*entry, *forecast, analysis, breach),
                          valid, forecasts, analyses, breaches, describe=ids)
    for (index, plan_id, _), result in zip(valid, kept):
        results[index] = _error(index, plan_id, FAILED_PLAN) if result is isolation.FAILED else result
    return results


def _breaches(requests: list[JobRequest], outputs: list, analyses: list[dict]) -> list[dict | None]:
    return shapes.plan_breaches(requests, [output.p90 for output in outputs],
                                [analysis["recommendations"]["recommended_capacity"] for analysis in analyses])


def portfolio(results: list[dict]) -> dict:
    """The portfolio summary over the plans that succeeded, rebuilt from their stored results."""
    from planning import Analysis, Recommendation, build_portfolio, to_jsonable

    ok = [r for r in results if r.get("success")]
    analyses = [Analysis(summary=r["summary"], load_statistics={}, utilization_statistics={},
                         risk_assessment=r["risk_assessment"], hourly_patterns={},
                         recommendations=Recommendation(**r["recommendations"]), scaling_scenarios={},
                         scaling_schedule=r["schedule"], cost=r.get("cost")) for r in ok]
    return to_jsonable(build_portfolio([r["id"] for r in ok], analyses, top=20), strict=True)


def run_batch_chunk(store: JobStore, forecaster, job_id: str, chunk: int, chunks: int, metrics=None,
                    clients: sources.SourceClients | None = None, on_finished=None) -> int:
    """Run chunk ``chunk`` of ``chunks``; return the number of plans it stored. ``on_finished`` gets the job's
    record if this chunk finished the job."""
    record = (store.load([job_id]) or [None])[0]
    if record is None or record["status"] not in OPEN:
        return 0                                          # cancelled, finished or expired: nothing to do
    job_id_var.set(job_id)
    request_id_var.set(record["request_id"])
    try:
        store.start([job_id])
        payload = store.load_chunk(job_id, chunk) or {"offset": 0, "plans": []}
        results = analyse_chunk(forecaster, payload["plans"], payload["offset"], metrics, clients)
        if store.status(job_id) not in OPEN:
            return 0                                      # cancelled, or failed by the stall sweep, meanwhile
        finished_chunks = store.save_plan_results(job_id, chunk, results)
        log.info("batch chunk done", extra={"chunk": chunk, "chunks": chunks, "plans": len(results),
                                             "finished_chunks": finished_chunks})
        if finished_chunks >= chunks:
            if close_batch(store, job_id, chunks, metrics) and on_finished is not None:
                on_finished([record])
        if metrics is not None:
            metrics.flush()
        return len(results)
    finally:
        job_id_var.set(None)
        request_id_var.set(None)


def close_batch(store: JobStore, job_id: str, chunks: int, metrics=None) -> bool:
    """Every chunk is stored: build the portfolio and finish the job; if the portfolio cannot be built the
    job fails with that reason, and its per-plan results stay readable. True when this call finished it (a
    chunk run twice closes the job once)."""
    everything = store.plan_results(job_id)
    failed = sum(1 for r in everything if not r.get("success"))
    results_url = f"/api/jobs/{job_id}/results"
    try:
        summary = portfolio(everything)
    except isolation.NEVER_ISOLATED:
        raise
    except Exception:
        log.exception("batch portfolio failed", extra={"plans": len(everything)})
        status, body = "failed", {**PORTFOLIO_FAILED, "results_url": results_url}
    else:
        status, body = "succeeded", {"success": True, "plans": len(everything), "succeeded": len(everything) - failed,
                                     "failed": failed, "portfolio": summary, "results_url": results_url}
    won = store.finish_many([(job_id, status, body)])[0]
    store.drop_chunks(job_id, chunks)
    if metrics is not None and won:
        metrics.count_jobs("batch", status)
    return won
