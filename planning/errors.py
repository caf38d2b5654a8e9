"""The one validation error the planning engine raises for bad plans or forecasts."""
from __future__ import annotations

from collections.abc import Mapping


class PlanValidationError(ValueError):
    """Bad plan or forecast input; `fields` maps each offending field to the reason."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.fields.items()))


class NonFiniteNumber(ValueError):
    """A result holds NaN or an infinity (an input overflowed the float range); JSON has no such number."""

    def __init__(self, value: float):
        self.value = value
        super().__init__(f"not a finite number: {value!r}")
