"""Request schemas: validate a JSON body and turn it into the normalised job request a worker runs."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from api.hourly_history import parse_history, parse_load, parse_timestamp
from capplan.errors import InvalidRequest
from jobs.job_request import TS_FORMAT, JobRequest, PlanEntry

MAX_HOURS = 168
MAX_BATCH_PLANS = 10_000
BATCH_DEFAULT_HOURS = 168
# Keys that describe the forecast; everything else in a body is left to planning's Plan.from_dict.
FORECAST_KEYS = ("hours_ahead", "timestamp", "history", "current_load")


def require_object(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object", {"body": "must be a JSON object"})
    return body


def parse_hours(raw, default: int, field: str = "hours_ahead") -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
            isinstance(raw, float) and (not math.isfinite(raw) or not raw.is_integer())):
        raise InvalidRequest.field(field, f"must be an integer from 1 to {MAX_HOURS}")
    hours = int(raw)
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidRequest.field(field, f"must be an integer from 1 to {MAX_HOURS}")
    return hours


def forecast_request(body: dict, default_hours: int, prefix: str = "") -> JobRequest:
    """The forecast part of a body: hours, last observed hour, hourly history or current load."""
    hours = parse_hours(body.get("hours_ahead"), default_hours, f"{prefix}hours_ahead")
    stamp = body.get("timestamp")
    timestamp = parse_timestamp(stamp, f"{prefix}timestamp") if stamp is not None else None
    current = body.get("current_load")
    current = None if current is None else parse_load(current, f"{prefix}current_load")
    history, gaps = None, 0
    if body.get("history") is not None:
        parsed = parse_history(body["history"], f"{prefix}history")
        values, gaps = parsed.values, parsed.gaps_filled
        if parsed.last_timestamp is not None:
            if timestamp is not None and timestamp != parsed.last_timestamp:
                raise InvalidRequest.field(f"{prefix}timestamp",
                                           "must be the hour of the last history point")
            timestamp = parsed.last_timestamp
        if current is not None:
            values[-1] = current  # the load at `timestamp` is the last history value
        history = values.tolist()
    elif current is None:
        raise InvalidRequest.field(f"{prefix}current_load", "required when no history is given")
    if timestamp is None:
        timestamp = datetime.now(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return {"hours_ahead": hours, "timestamp": timestamp.strftime(TS_FORMAT), "history": history,
            "current_load": current, "gaps_filled": gaps}


def plan_options(body: dict) -> dict:
    """The planning keys of a body, checked by planning's own validator."""
    from planning import Plan

    options = {k: v for k, v in body.items() if k not in FORECAST_KEYS and k != "id"}
    Plan.from_dict(options)
    return options


def job_request(kind: str, body: dict, default_hours: int) -> JobRequest:
    request = forecast_request(body, default_hours)
    if kind != "forecast":
        request["plan"] = plan_options(body)
    return request


def batch_plans(body: dict) -> list:
    """The plans of a batch, checked for shape; each plan is checked on its own by ``batch_entry``."""
    plans = body.get("plans")
    if not isinstance(plans, list) or not plans:
        raise InvalidRequest.field("plans", "must be a non-empty list of plan objects")
    if len(plans) > MAX_BATCH_PLANS:
        raise InvalidRequest.field("plans", f"at most {MAX_BATCH_PLANS} plans")
    return plans


def batch_entry(plan, index: int) -> PlanEntry:
    """Plan ``index`` of a batch, normalised; an invalid one carries its error, to fail alone."""
    from planning import PlanValidationError

    plan_id = str(plan.get("id", index)) if isinstance(plan, dict) else str(index)
    try:
        if not isinstance(plan, dict):
            raise InvalidRequest.field(f"plans[{index}]", "must be an object")
        return {"id": plan_id, "request": job_request("analysis", plan, BATCH_DEFAULT_HOURS)}
    except InvalidRequest as e:
        return {"id": plan_id, "error": e.as_dict()}
    except PlanValidationError as e:
        return {"id": plan_id, "error": {"code": "validation_error", "message": str(e), "fields": e.fields}}
