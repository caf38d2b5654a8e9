"""The names a client may send for a plan: planning's rule table, the API's forecast keys, and their CLI flags.

The plan's fields come from ``planning.plan_options``' one table, so a new planning option is known here
(to ``--option`` and to batch CSV headers) without another list to keep in step.
"""
from __future__ import annotations

from planning.plan_options import PLAN_OPTIONS

from capplan.local_input import LocalInputError, did_you_mean, number, whole_number

# name -> kind of value: "number", "integer", "hour" (a date and hour) or "text"
PLAN_FIELDS = {name: "integer" if option.integer else "number" for name, option in PLAN_OPTIONS.items()}
FORECAST_FIELDS = {"current_load": "number", "hours_ahead": "integer", "timestamp": "hour"}
REQUIRED_COLUMNS = ("current_capacity", "current_load")
_FIELDS = {**FORECAST_FIELDS, **PLAN_FIELDS}
BATCH_COLUMNS = {"id": "text", **{name: _FIELDS[name] for name in REQUIRED_COLUMNS}, **_FIELDS}

# API field -> the flag that sets it, to name the flag when the service refuses the field.
FLAG_OF_FIELD = {"current_capacity": "--capacity", "scaling_threshold": "--threshold", "hours_ahead": "--hours",
                 "timestamp": "--last-hour", "current_load": "--current-load", "history": "--history"}
OPTION_NAMES = [name for name in PLAN_FIELDS if name not in FLAG_OF_FIELD]
REASONS = {"number": "is not a number", "integer": "is not a whole number"}


def convert(name: str, text: str):
    """The JSON value of ``text`` for field ``name``; ValueError when it is not of the field's kind."""
    kind = BATCH_COLUMNS[name]
    if kind == "number":
        return number(text)
    if kind == "integer":
        return whole_number(text)
    return text


def parse_option(text: str) -> tuple[str, float | int]:
    """``--option name=value``: a known planning option and its number; anything else is refused."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise LocalInputError(f"--option {text!r}: write it as name=value, e.g. --option unit_capacity=500")
    if name in FLAG_OF_FIELD:
        raise LocalInputError(f"--option {name}: set it with {FLAG_OF_FIELD[name]}")
    if name not in OPTION_NAMES:
        raise LocalInputError(f"--option {name}: unknown option{did_you_mean(name, OPTION_NAMES)}; "
                              f"known options: {', '.join(OPTION_NAMES)}")
    try:
        return name, convert(name, value)
    except ValueError:
        raise LocalInputError(f"--option {name}={value}: {value.strip()!r} "
                              f"{REASONS[PLAN_FIELDS[name]]}") from None
