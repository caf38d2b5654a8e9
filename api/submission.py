"""Submit a job, then wait for it (sync) or answer 202 with where to poll (job): the Prefer rules."""
from __future__ import annotations

import re

from flask import g, jsonify, request, url_for

from api.auth import owner
from api.errors import ServiceError, error_body
from api.limits import admit_job
from api.metrics import count_job_created
from api.service import MAX_PREFER_WAIT_S, job_service
from jobs.store import FINISHED, IdempotencyConflict, new_job_id

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d+(?:\.\d+)?)\"?", re.IGNORECASE)


def wait_seconds(hours_ahead: int) -> tuple[float, str | None]:
    """How long to wait for the result, and the preference applied (RFC 7240)."""
    settings = job_service().settings
    prefer = request.headers.get("Prefer", "")
    match = _WAIT.search(prefer)
    if match:
        wait = min(float(match.group(1)), MAX_PREFER_WAIT_S)
        return wait, f"wait={wait:g}"
    if "respond-async" in prefer.lower():
        return 0.0, "respond-async"
    return (settings.SYNC_WAIT_S if hours_ahead <= settings.SYNC_MAX_HOURS else 0.0), None


def job_urls(job_id: str) -> dict:
    return {"job_id": job_id, "status_url": url_for("jobs.get_job", job_id=job_id)}


def accepted(job_id: str, preference: str | None = None, **extra):
    response = jsonify({"success": True, **job_urls(job_id), "status": "queued", **extra})
    response.status_code = 202
    response.headers["Location"] = response.json["status_url"]
    if preference:
        response.headers["Preference-Applied"] = preference
    return response


def finished(done: dict, job_id: str):
    """The answer for a finished job: the result (200), or its error with the status it carries."""
    if done.get("status") == "succeeded":
        body, status = done["result"], 200
    elif done.get("status") == "cancelled":
        body, status = error_body("cancelled", f"job {job_id} was cancelled"), 409
    else:
        error = done.get("error") or {}
        body = error_body(error.get("code", "job_failed"), error.get("message", "the job failed"))
        status = int(error.get("status", 500))
    response = jsonify(body)
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"   # the workers' model is not loaded (yet)
    return response


def claim_job(body: dict | None, job_id: str, digest: str | None = None) -> str | None:
    """The earlier job of a replayed Idempotency-Key (the caller's tenant's keys only); else admit ``job_id``.

    A new job is admitted under its tenant's caps; when refused, the key is let go again. ``digest`` stands
    for the body where the view never held it whole (a batch).
    """
    key = request.headers.get("Idempotency-Key")
    store = job_service().store
    if key:
        try:
            earlier = store.claim_idempotency_key(key, {"path": request.path, "body": body}, job_id, owner(),
                                                  digest=digest)
        except IdempotencyConflict as e:
            raise ServiceError("Idempotency-Key was used with a different request body",
                               {"Idempotency-Key": f"already names job {e.job_id} with another body"},
                               status=409, code="idempotency_conflict") from None
        if earlier is not None:
            return earlier
    try:
        admit_job(job_service().tenant_jobs, store.stored_bytes, job_id)
    except ServiceError:
        if key:
            store.release_idempotency_key(key, job_id, owner())
        raise
    return None


def submit(kind: str, job_request: dict, body: dict):
    """Create a forecasting job (forecast, recommendations, analysis) and answer as Prefer says."""
    service = job_service()
    wait, preference = wait_seconds(job_request["hours_ahead"])
    job_id = new_job_id()
    earlier = claim_job(body, job_id)
    if earlier is not None:
        return replay(earlier, preference)
    # Every waiting slot taken: no wait, so this request's thread is free again at once (a 202).
    with service.wait_slots.slot(wait > 0) as waiting:
        if wait > 0 and not waiting:
            preference = None
        # A job answered synchronously never shows its id, so its record need not outlive the answer;
        # unless targets are notified: their deliveries read it, and record their outcomes on it, later.
        shown = not waiting or "Idempotency-Key" in request.headers or bool(job_request.get("notify"))
        service.store.create(kind, job_request, request_id=g.request_id, job_id=job_id, shown=shown,
                             tenant=owner())
        count_job_created(kind)
        if not waiting:
            with service.failing_jobs_on_error([job_id]):
                service.publish_jobs([job_id])
            return accepted(job_id, preference)
        return wait_for(job_id, wait, shown, preference)


def wait_for(job_id: str, wait: float, shown: bool, preference: str | None):
    """Hand the job to the dispatcher (the interactive queue) and wait: its answer, or 202 when it runs out."""
    service = job_service()
    service.dispatcher.submit(job_id)
    try:
        done = service.store.wait(job_id, wait)
    finally:
        service.dispatcher.done(job_id)
    if done is None:
        if not shown:
            service.store.show(job_id)
        return accepted(job_id, preference)   # the work goes on; the client polls
    response = finished(done, job_id)
    if preference:
        response.headers["Preference-Applied"] = preference
    return response


def replay(job_id: str, preference: str | None):
    """The same Idempotency-Key and body: the earlier job's result when done, else the job again."""
    record = job_service().store.get(job_id, owner())
    if record and record["status"] in FINISHED:
        response = finished(record, job_id)
        response.headers["Content-Location"] = job_urls(job_id)["status_url"]
    else:
        response = accepted(job_id, preference)
    response.headers["Idempotent-Replayed"] = "true"
    return response
