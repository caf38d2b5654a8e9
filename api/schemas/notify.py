"""`notify`: the configured webhooks and Alertmanagers to tell when a job ends, by name; never a URL.

The names a request may use are the API's CAPPLAN_CONFIG targets, given to validation as its context
(``{"notify_targets": [...]}``); without one no name is known.
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from api.schemas.fields import StrictModel
from connectors.targets import NAME as TARGET_NAME        # what a configuration may name a target

MAX_NOTIFY = 10
LOOKS_LIKE_ADDRESS = re.compile(r"[:/@.\\]")            # no name holds these; a URL or a host always does
CONTEXT_KEY = "notify_targets"


def _configured(name: str, info: ValidationInfo) -> str:
    if LOOKS_LIKE_ADDRESS.search(name):
        # Not echoed: an address a client sends may carry a credential.
        raise PydanticCustomError("notify_address", "must name a target configured in CAPPLAN_CONFIG, not an "
                                  "address: capplan calls only the systems its operator configured")
    if not TARGET_NAME.match(name):
        raise PydanticCustomError("notify_name", "must be a configured target's name (1-64 of A-Z a-z 0-9 _ -)")
    known = sorted((info.context or {}).get(CONTEXT_KEY) or ())
    if name not in known:
        listed = f"configured: {', '.join(known)}" if known else "none is configured"
        raise PydanticCustomError("notify_unknown", "{name} is not a configured webhook or Alertmanager "
                                  "({listed})", {"name": name, "listed": listed})
    return name


TargetName = Annotated[str, AfterValidator(_configured), WithJsonSchema({
    "type": "string", "pattern": TARGET_NAME.pattern, "examples": ["ops"],
    "description": "the name of a [webhooks.NAME] or [alertmanager.NAME] table of the service's CAPPLAN_CONFIG"})]
Notify = Annotated[list[TargetName], Field(min_length=1, max_length=MAX_NOTIFY, description=(
    "configured targets to tell when the job ends: a webhook gets a signed CloudEvent "
    "(io.capplan.capacity.breach_predicted or io.capplan.job.finished), an Alertmanager a "
    "CapacityBreachPredicted alert when a breach is predicted. Names only; a URL is refused"))]


class Notifying(StrictModel):
    """A job request that may name targets to notify."""

    notify: Notify | None = None
