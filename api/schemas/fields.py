"""Bounded field types that the request models share: hours, loads, timestamps and histories."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, WithJsonSchema
from pydantic_core import PydanticCustomError

from planning.plan_options import MAX_AMOUNT, MAX_HOURS

MAX_HOURS_AHEAD = 168
MAX_HISTORY_HOURS = MAX_HOURS
MAX_HISTORY_POINTS = 4 * MAX_HISTORY_HOURS
# A forecast reaches a week past its timestamp, and the text of each hour must parse back.
MIN_YEAR, MAX_YEAR = 1000, 9998
EXAMPLE_HOUR = "2024-01-15T10:00:00"
HISTORY_TAGS = ("values", "points")     # the two shapes of a history; pydantic puts the tag in error paths


class StrictModel(BaseModel):
    """Unknown keys are refused (by name); numbers are never read from strings or booleans."""

    model_config = ConfigDict(extra="forbid", strict=True)


def whole_number(value):
    """2.0 is the integer 2 (JavaScript has one number type); anything else is left to the integer check."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _hour(raw) -> datetime:
    """ISO-8601 text (an offset converted to UTC) to a naive UTC datetime, floored to the hour."""
    reason = PydanticCustomError("timestamp", f"must be an ISO-8601 date-time such as {EXAMPLE_HOUR}")
    if isinstance(raw, datetime):
        when = raw
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
        text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise reason from None
    else:
        raise reason
    try:
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)   # OverflowError at year 1 or 9999
    except OverflowError:
        raise reason from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise PydanticCustomError("timestamp_year", f"must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return when.replace(minute=0, second=0, microsecond=0)


HoursAhead = Annotated[int, Field(ge=1, le=MAX_HOURS_AHEAD, description="hours to forecast"),
                       BeforeValidator(whole_number)]
Load = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Timestamp = Annotated[datetime, BeforeValidator(_hour), WithJsonSchema({
    "type": "string", "examples": [EXAMPLE_HOUR, "2024-01-15T12:00:00+02:00"],
    "description": f"ISO 8601 in the years {MIN_YEAR}-{MAX_YEAR}; an offset is converted to UTC, "
                   "minutes and seconds are dropped"})]


class HistoryPoint(StrictModel):
    """One observation; points are resampled to hours (the mean of each hour), empty hours interpolated."""

    timestamp: Timestamp
    load: Load


def _within_a_year(points: list[HistoryPoint]) -> list[HistoryPoint]:
    hours = [p.timestamp for p in points]
    span = (max(hours) - min(hours)) // timedelta(hours=1) + 1
    if span > MAX_HISTORY_HOURS:
        raise PydanticCustomError("history_span", "points span {span} hours; at most {most}",
                                  {"span": span, "most": MAX_HISTORY_HOURS})
    return points


def _history_shape(raw) -> str:
    if isinstance(raw, list) and raw and isinstance(raw[0], (dict, HistoryPoint)):
        return "points"
    return "values"


History = Annotated[Union[
    Annotated[list[Load], Field(min_length=1, max_length=MAX_HISTORY_HOURS), Tag("values")],
    Annotated[list[HistoryPoint], Field(min_length=1, max_length=MAX_HISTORY_POINTS),
              AfterValidator(_within_a_year), Tag("points")],
], Discriminator(_history_shape), Field(description=(
    "hourly loads, oldest first, the last one at `timestamp` (which is then required); or {timestamp, load} "
    f"points in any order, spanning at most {MAX_HISTORY_HOURS} hours"))]


def is_values(history) -> bool:
    """Whether a validated history is bare hourly numbers (not points)."""
    return bool(history) and not isinstance(history[0], HistoryPoint)
