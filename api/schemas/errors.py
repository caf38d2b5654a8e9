"""A pydantic ValidationError as the API's 400: every bad field named by its path, with a reason in words,
and an unknown key answered with the closest known one."""
from __future__ import annotations

import difflib
from collections import Counter
from typing import get_args

from pydantic import BaseModel, ValidationError

from api.schemas.fields import HISTORY_TAGS
from capplan.errors import InvalidRequest

MAX_PER_FIELD = 20      # a history of 8,760 bad values names the first ones, and counts the rest
MESSAGE_NAMES = 5
REASONS = {
    "missing": "is required",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "int_type": "must be an integer", "int_parsing": "must be an integer", "int_from_float": "must be an integer",
    "finite_number": "must be finite (not NaN or infinite)",
    "greater_than": "must be > {gt}", "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}", "less_than_equal": "must be <= {le}",
    "too_short": "must have at least {min_length} item(s)", "too_long": "must have at most {max_length} items",
    "list_type": "must be a list", "string_type": "must be a string",
    "string_too_short": "must not be empty", "string_pattern_mismatch": "must match {pattern}", "string_too_long": "must be at most {max_length} characters",
    "model_type": "must be a JSON object", "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object", "literal_error": "must be {expected}",
}


def _number(value) -> str:
    return f"{value:g}".replace("e+", "e") if isinstance(value, float) else str(value)


def field_path(loc: tuple) -> str:
    """('history', 'points', 3, 'load') -> 'history[3].load' (the tag of the history's shape dropped)."""
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif not (i and loc[i - 1] == "history" and part in HISTORY_TAGS):
            path += f".{part}" if path else part
    return path


def _root(path: str) -> str:
    """The top-level field of a path: 'history[3].load' -> 'history'."""
    return path.split("[", 1)[0].split(".", 1)[0]


def _nested_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (found := _nested_model(arg)) is not None:
            return found
    return None


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model that holds the last key of ``loc``."""
    for part in loc[:-1]:
        if isinstance(part, str) and part in model.model_fields:
            model = _nested_model(model.model_fields[part].annotation) or model
    return list(model.model_fields)


def reason(error: dict, model: type[BaseModel]) -> str:
    """One pydantic error in the API's words."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), _known_keys(model, error["loc"]), n=1)
        return f"unknown field; did you mean {close[0]}?" if close else "unknown field"
    if kind == "float_type" and type(error.get("input")) is int:
        return "is too large"                      # an integer past float's range (~1.8e308)
    template = REASONS.get(kind)
    if template is None:                           # our own PydanticCustomErrors say it already
        return error["msg"]
    return template.format(**{k: _number(v) for k, v in ctx.items()})


def field_errors(errors: list[dict], model: type[BaseModel], strip: int = 0) -> dict[str, str]:
    """{path: reason} for each error; paths drop the first ``strip`` parts of the location (a batch's
    plans[i]) unless nothing would be left. Each field names at most MAX_PER_FIELD errors within it (a
    history of 8,760 bad values), and counts the rest under ``history[...]``.
    """
    fields: dict[str, str] = {}
    named: Counter = Counter()
    for error in errors:
        path = field_path(error["loc"][strip:]) or field_path(error["loc"]) or "body"
        root = _root(path)
        named[root] += 1
        if named[root] <= MAX_PER_FIELD:
            fields.setdefault(path, reason(error, model))
    for root, count in named.items():
        if count > MAX_PER_FIELD:
            fields[f"{root}[...]"] = f"and {count - MAX_PER_FIELD} more errors"
    return fields


def invalid(fields: dict[str, str]) -> InvalidRequest:
    """The 400: ``fields`` names every bad field; the message the first of each of a few of them."""
    first: dict[str, str] = {}
    for path, why in fields.items():
        first.setdefault(_root(path), f"{path}: {why}")
    named = list(first.values())[:MESSAGE_NAMES]
    more = len(fields) - len(named)
    return InvalidRequest("; ".join(named) + (f" (and {more} more)" if more > 0 else ""), fields)


def validation_error(exc: ValidationError, model: type[BaseModel]) -> InvalidRequest:
    return invalid(field_errors(exc.errors(include_url=False), model))
