"""Endpoints that forecast: validate, submit, answer (sync 200 or 202 job)."""
from __future__ import annotations

from flask import Blueprint, g, request

from api.auth import current_tenant, owner
from api.metrics import count_job_created
from api.service import job_service
from api.submission import accepted, claim_job, replay, submit
from api.batch_body import batch_bytes
from api.batch_intake import PackedBatch, pack_csv_batch, pack_json_batch, query_notify
from api.job_requests import REQUEST_MODELS, job_request, validated
from api.json_body import json_body
from capplan.errors import InvalidRequest
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
        context = job_service().context_for(current_tenant())
        return submit(kind, job_request(kind, validated(REQUEST_MODELS[kind], body, context)), body)

    view.__doc__ = f"POST a {kind} request: 200 with the body when it finishes in time, else 202 with the job."
    return view


for _kind, _path in FORECASTING_ENDPOINTS.items():
    bp.add_url_rule(_path, _kind, _forecasting_view(_kind), methods=["POST"])


@bp.post("/api/capacity/batch")
def batch():
    """Always a job: each plan is checked here, and a bad one fails alone (its own result), not with a 400.

    The body is JSON or CSV, gzipped or not (api.batch_body), up to MAX_BATCH_BYTES; its plans are checked
    and packed into chunks as they are parsed (api.batch_intake).
    """
    service = job_service()
    settings = service.settings
    is_csv = request.mimetype == "text/csv"
    context = service.context_for(current_tenant())
    named = request.args.getlist("notify")
    if named and not is_csv:
        raise InvalidRequest.field("notify", "goes in the JSON body; the notify query parameter is for CSV bodies")
    notify = query_notify(named, context)         # checked before the body is read: a bad name costs nothing
    data = batch_bytes(settings.MAX_BATCH_BYTES)
    reader = pack_csv_batch if is_csv else pack_json_batch
    plans = reader(data, PackedBatch(settings.BATCH_CHUNK_SIZE, request.path,
                                     digesting="Idempotency-Key" in request.headers, context=context))
    del data                                     # the request's bytes go; only the packed chunks stay
    if is_csv:
        plans.notify = notify
    job_id = new_job_id()
    earlier = claim_job(None, job_id, digest=plans.digest)
    if earlier is not None:
        return replay(earlier, None)
    chunks = len(plans.chunks)
    pipe = service.redis.pipeline(transaction=False)
    # Plans of each series a query returns: only a worker learns how many, so one expands them first.
    summary = {"plans": plans.total, "chunks": chunks, **({"expands": True} if plans.expands else {}),
               **({"notify": plans.notify} if plans.notify else {})}
    service.store.create("batch", summary, request_id=g.request_id, total=plans.total, job_id=job_id, pipe=pipe,
                         tenant=owner())
    service.store.store_packed_chunks(job_id, plans.chunks, pipe)
    service.store.store_plan_ids(job_id, plans.plan_ids, pipe)
    pipe.execute()
    count_job_created("batch")
    with service.failing_jobs_on_error([job_id]):
        if plans.expands:
            service.publish_expansion(job_id, chunks)
        else:
            service.publish_batch(job_id, chunks)
    return accepted(job_id, **summary, results_url=f"/api/jobs/{job_id}/results")
