"""Validate a JSON body against its request model and turn it into the normalised job a worker runs."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, TypeAdapter, ValidationError

from api.hourly_history import hourly_history
from api.schemas import AnalysisRequest, BatchPlan, BatchRequest, ForecastRequest, PlanRequest
from api.schemas.errors import field_errors, invalid, validation_error
from api.schemas.plan_options import given_options
from jobs.job_request import TS_FORMAT, HistorySource, JobRequest, PlanEntry

# kind of job -> the model of its request body
REQUEST_MODELS: dict[str, type[ForecastRequest]] = {
    "forecast": ForecastRequest, "recommendations": PlanRequest, "analysis": AnalysisRequest}
_PLANS = TypeAdapter(list[BatchPlan])


def validated(model: type[BaseModel], body, context: dict | None = None) -> BaseModel:
    """``body`` as ``model``; else one 400 naming every bad field. ``context``: the configured targets that
    sources (api.schemas.source) and ``notify`` (api.schemas.notify) may name."""
    try:
        return model.model_validate(body, context=context)
    except ValidationError as e:
        raise validation_error(e, model) from None


def job_request(kind: str, request: ForecastRequest) -> JobRequest:
    """The job of a validated request: an hourly history (or none), its last hour, the plan options."""
    history = hourly_history(request.history) if request.history is not None else None
    timestamp = request.timestamp or (history.last_timestamp if history else None)
    # A fetched history ends at the last whole hour when no timestamp came: that is no assumption.
    assumed = timestamp is None and request.source is None
    if timestamp is None:
        timestamp = datetime.now(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    values = None
    if history is not None:
        if request.current_load is not None:
            history.values[-1] = request.current_load   # the load at `timestamp` is the last history value
        values = history.values.tolist()
    job: JobRequest = {"hours_ahead": request.hours_ahead, "timestamp": timestamp.strftime(TS_FORMAT),
                       "history": values, "current_load": request.current_load,
                       "gaps_filled": history.gaps_filled if history else 0, "timestamp_assumed": assumed}
    if request.source is not None:
        job["source"] = source_entry(request.source, timestamp)
    if kind != "forecast":
        job["plan"] = given_options(request)
    if getattr(request, "notify", None):
        job["notify"] = list(dict.fromkeys(request.notify))   # a target named twice is told once
    return job


def source_entry(source, end: datetime) -> HistorySource:
    """Where a worker fetches the history: ``lookback_hours`` whole hours ending at ``end``."""
    start = end - timedelta(hours=source.lookback_hours - 1)
    entry: HistorySource = {"prometheus": source.prometheus, "query": source.query,
                            "start": start.strftime(TS_FORMAT), "end": end.strftime(TS_FORMAT)}
    if getattr(source, "plan_per_series", None):
        entry["plan_per_series"] = source.plan_per_series
    return entry


def batch_entries(body, context: dict | None = None) -> list[PlanEntry]:
    """Every plan of a batch, normalised; a bad plan carries its error (all its bad fields), to fail alone.

    A bad envelope (no plans, too many, an unknown key, a bad `notify`) is one 400. The common case, every plan good, is
    one validation call; with bad plans, the good ones are validated once more, together.
    """
    try:
        plans = BatchRequest.model_validate(body, context=context).plans
        return [plan_entry(i, plan) for i, plan in enumerate(plans)]
    except ValidationError as e:
        errors = e.errors(include_url=False)
    by_plan: dict[int, list[dict]] = defaultdict(list)
    envelope = []
    for error in errors:
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "plans" and isinstance(loc[1], int):
            by_plan[loc[1]].append(error)
        else:
            envelope.append(error)
    if envelope:
        raise invalid(field_errors(envelope, BatchRequest))
    plans = body["plans"]
    good = [i for i in range(len(plans)) if i not in by_plan]
    valid = dict(zip(good, _PLANS.validate_python([plans[i] for i in good], context=context)))
    return [plan_entry(i, valid[i]) if i in valid else failed_entry(i, plans[i], by_plan[i])
            for i in range(len(plans))]


def plan_entry(index: int, plan: BatchPlan) -> PlanEntry:
    """A checked plan as a chunk carries it: its id (its index without one) and its normalised job."""
    return {"id": str(index if plan.id is None else plan.id), "request": job_request("analysis", plan)}


def failed_entry(index: int, raw, errors: list[dict]) -> PlanEntry:
    """A plan's error; its fields are named within the plan (``current_capacity``), as its result shows it."""
    plan_id = raw.get("id") if isinstance(raw, dict) else None
    plan_id = str(plan_id) if isinstance(plan_id, (str, int)) and not isinstance(plan_id, bool) else str(index)
    return {"id": plan_id, "error": invalid(field_errors(errors, BatchRequest, strip=2)).as_dict()}
