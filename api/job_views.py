"""Job status, cancellation and a batch's paged or CSV results."""
from __future__ import annotations

import itertools
import re

from flask import Blueprint, Response, jsonify, request, stream_with_context

from api.auth import current_tenant
from api.errors import InvalidRequest, NotFound, ServiceError
from api.service import job_service
from api.batch_csv import csv_parts

bp = Blueprint("jobs", __name__)
MAX_PAGE = 1000
CSV_PAGE = 100           # plans read from Redis per part of a CSV download: its memory, whatever the batch
RESULT_FORMATS = ("json", "csv")
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")   # what new_job_id makes; anything else is no job of ours


def job_or_error(job_id: str) -> dict:
    """The caller's job; another tenant's is no job (404), and a 404 never repeats the id it was asked."""
    if not JOB_ID.match(job_id):
        raise NotFound("no such job")
    store = job_service().store
    tenant = current_tenant()
    record = store.get(job_id, tenant)
    if record is not None:
        return record
    if store.was_issued(job_id, tenant):
        raise ServiceError(f"job {job_id} has expired: results are kept for {store.ttl} seconds",
                           status=410, code="gone")
    raise NotFound("no such job")


@bp.get("/api/jobs/<job_id>")
def get_job(job_id: str):
    return jsonify(job_or_error(job_id))


@bp.delete("/api/jobs/<job_id>")
def cancel_job(job_id: str):
    job_or_error(job_id)
    cancelled, status = job_service().store.cancel(job_id)
    if not cancelled:
        raise ServiceError(f"job {job_id} already {status}: nothing to cancel", status=409,
                           code="job_finished")
    return jsonify(job_or_error(job_id))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest.field(name, "must be an integer") from None
    if not low <= value <= high:
        raise InvalidRequest.field(name, f"must be from {low} to {high}")
    return value


def _format_arg() -> str:
    chosen = request.args.get("format", "json")
    if chosen not in RESULT_FORMATS:
        raise InvalidRequest.field("format", f"must be {' or '.join(RESULT_FORMATS)}")
    return chosen


@bp.get("/api/jobs/<job_id>/results")
def job_results(job_id: str):
    """Per-plan results of a batch in plan order: ?offset=&limit= pages, ?format=csv downloads all, streamed
    a page at a time so that no batch is ever whole in the API's memory."""
    chosen = _format_arg()
    record = job_or_error(job_id)
    if record["kind"] != "batch":
        raise InvalidRequest.field("job_id", "only batch jobs have per-plan results; see /api/jobs/{id}")
    total = record["progress"]["total"]
    store = job_service().store
    if chosen == "csv":
        pages = store.plan_result_pages(job_id, page=CSV_PAGE)
        first = next(pages, [])     # read before answering: Redis down is a 503, not a cut-off download
        parts = csv_parts(itertools.chain([first], pages))
        return Response(stream_with_context(parts), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="batch-{job_id}.csv"'})
    offset = _int_arg("offset", 0, 0, max(total, 0))
    limit = _int_arg("limit", 100, 1, MAX_PAGE)
    items = store.plan_results(job_id, offset, limit)
    return jsonify({"job_id": job_id, "status": record["status"], "offset": offset, "limit": limit,
                    "total": total, "done": record["progress"]["done"], "results": items})
