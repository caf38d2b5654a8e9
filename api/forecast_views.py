"""Endpoints that forecast: validate, submit, answer (sync 200 or 202 job)."""
from __future__ import annotations

from flask import Blueprint, g

from api.auth import owner
from api.metrics import count_job_created
from api.service import job_service
from api.submission import accepted, claim_job, replay, submit
from api.job_requests import REQUEST_MODELS, batch_entries, job_request, validated
from api.json_body import json_body
from jobs.store import new_job_id

bp = Blueprint("forecasts", __name__)

# kind of job -> path: one view each; its request model (and so its default hours_ahead) is REQUEST_MODELS[kind].
FORECASTING_ENDPOINTS = {
    "forecast": "/api/forecast",
    "recommendations": "/api/capacity/recommendations",
    "analysis": "/api/capacity/analyze",
}


def _forecasting_view(kind: str):
    def view():
        body = json_body()
        context = job_service().validation_context
        return submit(kind, job_request(kind, validated(REQUEST_MODELS[kind], body, context)), body)

    view.__doc__ = f"POST a {kind} request: 200 with the body when it finishes in time, else 202 with the job."
    return view


for _kind, _path in FORECASTING_ENDPOINTS.items():
    bp.add_url_rule(_path, _kind, _forecasting_view(_kind), methods=["POST"])


@bp.post("/api/capacity/batch")
def batch():
    """Always a job: each plan is checked here, and a bad one fails alone (its own result), not with a 400."""
    body = json_body()
    service = job_service()
    plans = batch_entries(body, service.validation_context)
    notify = list(dict.fromkeys(body.get("notify") or ()))    # valid: batch_entries refused a bad one
    job_id = new_job_id()
    earlier = claim_job(body, job_id)
    if earlier is not None:
        return replay(earlier, None)
    size = service.settings.BATCH_CHUNK_SIZE
    chunks = [{"offset": i, "plans": plans[i:i + size]} for i in range(0, len(plans), size)]
    pipe = service.redis.pipeline(transaction=False)
    request = {"plans": len(plans), "chunks": len(chunks), **({"notify": notify} if notify else {})}
    service.store.create("batch", request, request_id=g.request_id,
                         total=len(plans), job_id=job_id, pipe=pipe, tenant=owner())
    service.store.store_chunks(job_id, chunks, pipe)
    pipe.execute()
    count_job_created("batch")
    with service.failing_jobs_on_error([job_id]):
        service.publish_batch(job_id, len(chunks))
    return accepted(job_id, plans=len(plans), chunks=len(chunks), results_url=f"/api/jobs/{job_id}/results")
