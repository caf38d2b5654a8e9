"""The request models of the forecasting endpoints and of a batch: each field's name, type, range, default
and description is defined here once, and both validation and /api/openapi.json are read from these."""
from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from api.schemas.fields import EXAMPLE_HOUR, History, HoursAhead, Load, StrictModel, Timestamp, is_values
from api.schemas.notify import Notifying
from api.schemas.plan_options import PlanOptions
from api.schemas.source import BatchSource, PrometheusSource

MAX_BATCH_PLANS = 10_000
TIMESTAMP_NEEDED = (
    "required with a history of bare numbers: the hour of the last value places every value in the day "
    "and the week, and without it the peak hours and the scaling schedule would be shifted. Send "
    "`timestamp` (the hour of the last value), or the history as {timestamp, load} points")
# What JSON Schema can say of the rules between fields (the validators below enforce them).
CROSS_FIELD_RULES = {
    "anyOf": [{"required": ["history"], "properties": {"history": {"type": "array"}}},
              {"required": ["source"], "properties": {"source": {"type": "object"}}},
              {"required": ["current_load"], "properties": {"current_load": {"type": "number"}}}],
    "if": {"required": ["history"], "properties": {"history": {"type": "array", "items": {"type": "number"}}}},
    "then": {"required": ["timestamp"]},
}


def _schema(*examples: dict) -> ConfigDict:
    return ConfigDict(json_schema_extra={**CROSS_FIELD_RULES, "examples": list(examples)})


class ForecastFields(StrictModel):
    """The fields of a forecast: the original's (hours_ahead, current_load, timestamp) and a history."""

    hours_ahead: HoursAhead = 24
    history: History | None = None
    source: PrometheusSource | None = Field(None, description=(
        "instead of `history`: where a worker fetches it (a configured Prometheus and a query); the "
        "response's history_source names it"))
    # Validated after history (field order), and even when absent, to check them against it.
    timestamp: Timestamp | None = Field(None, validate_default=True, description=(
        "the last observed hour (UTC); required with bare-number histories, taken from the last point of "
        "{timestamp, load} histories, else the current hour is assumed"))
    current_load: Load | None = Field(None, validate_default=True, description=(
        "the load at `timestamp`; required without history; with one it replaces the history's last value"))

    @field_validator("source")
    @classmethod
    def _history_or_source(cls, value, info: ValidationInfo):
        if value is not None and info.data.get("history") is not None:
            raise PydanticCustomError("history_and_source", "give a history or a source, not both")
        return value

    @field_validator("timestamp")
    @classmethod
    def _places_the_history(cls, value, info: ValidationInfo):
        history = info.data.get("history")
        if is_values(history) and value is None:
            raise PydanticCustomError("timestamp_required", TIMESTAMP_NEEDED)
        if history and not is_values(history) and value is not None:
            last = max(point.timestamp for point in history)
            if value != last:
                raise PydanticCustomError("timestamp_mismatch", "must be the hour of the last history point "
                                          "({last}), or be left out", {"last": last.isoformat()})
        return value

    @field_validator("current_load")
    @classmethod
    def _needed_without_history(cls, value, info: ValidationInfo):
        given = info.data.get("history") is not None or info.data.get("source") is not None
        if value is None and {"history", "source"} <= set(info.data) and not given:
            raise PydanticCustomError("current_load_required", "required when no history or source is given")
        return value


class ForecastRequest(ForecastFields, Notifying):
    """POST /api/forecast: the forecast fields and whom to notify."""

    model_config = _schema({"hours_ahead": 24, "current_load": 1000, "timestamp": EXAMPLE_HOUR},
                           {"hours_ahead": 12, "timestamp": EXAMPLE_HOUR, "history": [950, 990, 1010, 1000]})


PLAN_EXAMPLE = {"hours_ahead": 24, "current_capacity": 5000, "current_load": 1000, "scaling_threshold": 0.8,
                "timestamp": EXAMPLE_HOUR}


class PlanFields(PlanOptions, ForecastFields):
    """The forecast fields and the plan options."""


class PlanRequest(PlanFields, Notifying):
    """POST /api/capacity/recommendations: the forecast fields, the plan options and whom to notify."""

    model_config = _schema(PLAN_EXAMPLE, {
        "hours_ahead": 48, "current_capacity": 2000, "unit_capacity": 250, "unit_cost_per_hour": 0.4,
        "history": [{"timestamp": "2024-01-15T08:00:00", "load": 900},
                    {"timestamp": "2024-01-15T10:00:00", "load": 1000}]})


class AnalysisFields(PlanFields):
    """As the plan fields, over a week by default."""

    hours_ahead: HoursAhead = 168


class AnalysisRequest(AnalysisFields, Notifying):
    """POST /api/capacity/analyze: as recommendations, over a week by default."""

    model_config = _schema({**PLAN_EXAMPLE, "hours_ahead": 168})


class BatchPlan(AnalysisFields):
    """One plan of POST /api/capacity/batch: an analysis request with an optional id (a batch notifies once,
    so `notify` is the batch's, not a plan's)."""

    model_config = _schema({"id": "web", "current_capacity": 5000, "current_load": 1000})

    id: Annotated[str, Field(min_length=1, max_length=200)] | Annotated[int, Field(ge=-2**53, le=2**53)] | None \
        = Field(None, description="names the plan in results (default: its index)")
    source: BatchSource | None = Field(None, description=(
        "instead of `history`: where a worker fetches it; with plan_per_series, one plan per series"))


class BatchRequest(Notifying):
    """POST /api/capacity/batch: the plans, each checked alone (a bad one fails alone), and whom to notify."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"plans": [
        {"id": "web", "current_capacity": 5000, "current_load": 1000},
        {"id": "db", "current_capacity": 800, "hours_ahead": 48, "timestamp": EXAMPLE_HOUR,
         "history": [610, 640, 700]}]}]})

    plans: list[BatchPlan] = Field(min_length=1, max_length=MAX_BATCH_PLANS)
