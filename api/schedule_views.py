"""GET a scaling schedule as CSV, KEDA, CronHPA or AWS Auto Scaling actions: an analysis job's, or a batch plan's."""
from __future__ import annotations

from flask import Blueprint, Response, request

from api.errors import InvalidRequest, NotFound, ServiceError
from api.job_views import job_or_error
from api.service import job_service
from capplan.hours import HourError, parse_zone
from exports import FORMATS, ExportOptions, render
from exports.sources import from_analysis, from_plan

bp = Blueprint("schedules", __name__)


def _options() -> tuple[str, ExportOptions]:
    """(format, options) from the query; each bad parameter is a 400 that names it."""
    chosen = request.args.get("format", "csv")
    if chosen not in FORMATS:
        raise InvalidRequest.field("format", f"must be {', '.join(FORMATS[:-1])} or {FORMATS[-1]}")
    try:
        zone = parse_zone(request.args.get("tz", "UTC"))
    except HourError as e:
        raise InvalidRequest.field("tz", str(e)) from None
    return chosen, ExportOptions(zone=zone, target=request.args.get("target"), asg=request.args.get("asg"))


def _send(chosen: str, export, options: ExportOptions) -> Response:
    made = render(chosen, export, options)
    return Response(made.text, mimetype=made.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})


def _not_finished(record: dict) -> ServiceError:
    return ServiceError(f"job {record['job_id']} is {record['status']}: its schedule exists once it has "
                        "succeeded", status=409, code="job_not_finished")


@bp.get("/api/jobs/<job_id>/schedule")
def job_schedule(job_id: str):
    """An analysis job's schedule; a batch's plans each have their own (below)."""
    chosen, options = _options()
    record = job_or_error(job_id)
    if record["kind"] != "analysis":
        raise InvalidRequest.field("job_id", "only analysis jobs have a schedule here; a batch plan's is at "
                                             "/api/jobs/{id}/results/{plan_id}/schedule")
    if record["status"] != "succeeded":
        raise _not_finished(record)
    return _send(chosen, from_analysis(job_id, record["result"]), options)


@bp.get("/api/jobs/<job_id>/results/<path:plan_id>/schedule")
def plan_schedule(job_id: str, plan_id: str):
    """One plan of a batch, named by its id (its index where the batch gave none); the first plan in plan
    order with that id when ids repeat. A plan is ready as soon as its chunk is, before the whole batch."""
    chosen, options = _options()
    record = job_or_error(job_id)
    if record["kind"] != "batch":
        raise InvalidRequest.field("job_id", "only batch jobs have plans; an analysis job's schedule is at "
                                             "/api/jobs/{id}/schedule")
    plan = _find_plan(job_id, plan_id)
    if plan is None:
        if record["status"] in ("queued", "running"):
            raise _not_finished(record)
        raise NotFound("no plan with that id in this job")
    return _send(chosen, from_plan(job_id, plan), options)


def _find_plan(job_id: str, plan_id: str) -> dict | None:
    """The stored result of the plan named ``plan_id``, found by the index the batch keeps of its ids."""
    store = job_service().store
    index = store.plan_index(job_id, plan_id)
    found = store.plan_results(job_id, index, 1) if index is not None else []
    # An id that is another plan's index ("3" given to plan 5) is in the hash; a bare index whose plan has
    # an id of its own is not that plan's id.
    return found[0] if found and str(found[0].get("id")) == plan_id else None
