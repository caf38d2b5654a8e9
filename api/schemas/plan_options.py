"""The plan options as a pydantic model, generated from planning's table (planning.plan_options), so that
the API's validation, its OpenAPI document and planning's own checks read one set of domains."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from api.schemas.fields import StrictModel, whole_number
from planning.plan_options import BOUNDS_REASON, PLAN_OPTIONS, PlanOption


def _kind(option: PlanOption):
    """The value type of one option, with its domain as JSON Schema keywords."""
    if option.choices:
        return Literal[option.choices]
    if option.integer:
        return Annotated[int, Field(ge=option.ge, le=option.le), BeforeValidator(whole_number)]
    return Annotated[float, Field(gt=option.gt, ge=option.ge, le=option.le, allow_inf_nan=False)]


def _field(option: PlanOption) -> tuple:
    """(annotation, field) for create_model; an optional option also takes null, meaning its default."""
    if option.required:
        return _kind(option), Field(description=option.doc)
    return _kind(option) | None, Field(option.default, description=option.doc)


def _max_at_least_min(cls, value, info: ValidationInfo):
    low = info.data.get("min_capacity")
    if value is not None and low is not None and value < low:
        raise PydanticCustomError("capacity_bounds", BOUNDS_REASON)
    return value


PlanOptions = create_model(
    "PlanOptions", __base__=StrictModel, __doc__="What a plan has and wants (planning.plan_options).",
    __validators__={"max_at_least_min": field_validator("max_capacity")(_max_at_least_min)},
    **{name: _field(option) for name, option in PLAN_OPTIONS.items()})


def given_options(request) -> dict:
    """The plan options a request gave (not null), as planning's Plan.from_dict reads them."""
    return {name: value for name in PLAN_OPTIONS
            if name in request.model_fields_set and (value := getattr(request, name)) is not None}
