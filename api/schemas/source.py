"""``source``: a history fetched by a worker from a configured Prometheus, in place of an inline ``history``.

A request names a target of the API's CAPPLAN_CONFIG (``[prometheus.NAME]``) and never carries a URL or
a credential; the names configured are handed to validation as its context (``SOURCE_TARGETS``).
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.fields import MAX_HISTORY_HOURS, StrictModel, whole_number

SOURCE_TARGETS = "prometheus_targets"     # validation context key: the configured target names
DEFAULT_LOOKBACK_HOURS = 672              # four weeks: the model's context and a backtest week
MAX_QUERY_CHARS = 4000
LABEL_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
URL_LIKE = re.compile(r"[:/@]|^\s*(https?|www)", re.IGNORECASE)


def _configured(name: str, info: ValidationInfo) -> str:
    known = sorted((info.context or {}).get(SOURCE_TARGETS) or ())
    if URL_LIKE.search(name):
        raise PydanticCustomError("source_url", "must name a Prometheus target configured in CAPPLAN_CONFIG "
                                  "([prometheus.NAME]), not an address: requests never carry URLs")
    if name not in known:
        listed = ", ".join(known) if known else "none is configured"
        raise PydanticCustomError("source_unknown", "is not a configured Prometheus target (configured: {listed})",
                                  {"listed": listed})
    return name


def _not_blank(query: str) -> str:
    if not query.strip():
        raise PydanticCustomError("query_blank", "must not be blank")
    return query


class PrometheusSource(StrictModel):
    """The history of a PromQL query over the last ``lookback_hours`` hours up to ``timestamp``, hourly."""

    prometheus: Annotated[str, Field(min_length=1, max_length=64, description=(
        "the name of a [prometheus.NAME] target in the service's CAPPLAN_CONFIG (never a URL)"),
        examples=["prod"]), AfterValidator(_configured)]
    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description=(
        "a PromQL expression that returns one series (a batch plan with plan_per_series: one per plan)"),
        examples=['sum(rate(http_requests_total{service="web"}[1h]))']), AfterValidator(_not_blank)]
    lookback_hours: Annotated[int, Field(ge=1, le=MAX_HISTORY_HOURS, description=(
        f"hours of history to fetch, ending at `timestamp` (default: the last whole hour); "
        f"1 to {MAX_HISTORY_HOURS}")), BeforeValidator(whole_number)] = DEFAULT_LOOKBACK_HOURS

    @model_validator(mode="before")
    @classmethod
    def _per_series_in_batches_only(cls, data):
        # Only a batch can become one plan per series: a forecast answers for one history.
        if cls is PrometheusSource and isinstance(data, dict) and "plan_per_series" in data:
            raise PydanticCustomError("per_series_batch_only", "plan_per_series is valid only in a plan of "
                                      "POST /api/capacity/batch")
        return data


class BatchSource(PrometheusSource):
    """A batch plan's source; with ``plan_per_series`` it becomes one plan per series the query returns."""

    plan_per_series: Annotated[str, Field(pattern=LABEL_NAME, description=(
        "a label name: one plan per returned series, each with this plan's other fields and the label's "
        "value as its id"), examples=["service"])] | None = None
