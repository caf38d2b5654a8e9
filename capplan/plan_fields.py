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
# A batch file's history: hourly loads, oldest first, space-separated, the last one at last_timestamp.
HISTORY_COLUMNS = {"history": "history", "last_timestamp": "hour"}
_FIELDS = {**FORECAST_FIELDS, **PLAN_FIELDS}
BATCH_COLUMNS = {"id": "text", **{name: _FIELDS[name] for name in REQUIRED_COLUMNS}, **_FIELDS, **HISTORY_COLUMNS}
# column -> the API field it fills, where the names differ
FIELD_OF_COLUMN = {"last_timestamp": "timestamp"}

# API field -> the flag that sets it, to name the flag when the service refuses the field.
FLAG_OF_FIELD = {"current_capacity": "--capacity", "scaling_threshold": "--threshold", "hours_ahead": "--hours",
                 "timestamp": "--last-hour", "current_load": "--current-load", "history": "--history",
                 "source": "--prometheus and --query", "notify": "--notify"}
OPTION_NAMES = [name for name in PLAN_FIELDS if name not in FLAG_OF_FIELD]
REASONS = {"number": "is not a number", "integer": "is not a whole number"}


def header_problems(names: list[str]) -> dict[str, str]:
    """{column: why} for each column a batch file's header (names lowercased) cannot have."""
    missing = [name for name in REQUIRED_COLUMNS if name not in names
               and not (name == "current_load" and "history" in names)]
    problems = {h: f"unknown column {h!r}{did_you_mean(h, BATCH_COLUMNS, prefer=missing)}"
                for h in names if h and h not in BATCH_COLUMNS}
    problems.update({n: f"column {n!r} appears {names.count(n)} times" for n in dict.fromkeys(names)
                     if n and names.count(n) > 1})
    if "timestamp" in names and "last_timestamp" in names:
        problems["last_timestamp"] = "columns 'timestamp' and 'last_timestamp' both name the last hour; keep one"
    problems.update({name: f"missing column {name!r} (required" + (" without a history column)" if
                                                                   name == "current_load" else ")")
                     for name in missing})
    return problems


def history_values(text: str) -> list[float]:
    """A history cell: numbers separated by spaces, oldest first; ValueError names the first bad one."""
    values = []
    for i, word in enumerate(text.split()):
        try:
            values.append(number(word))
        except ValueError:
            raise ValueError(f"value {i + 1}, {word!r}, is not a number") from None
    return values


def convert(name: str, text: str):
    """The JSON value of ``text`` for field ``name``; ValueError when it is not of the field's kind."""
    kind = BATCH_COLUMNS[name]
    if kind == "history":
        return history_values(text)
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
