"""Every serving option in one frozen, self-validating dataclass: read from model.json, overridden field by field.

An option that is off is ``None``. The defaults are what an artifact that names no option gets (every
layer off), so an older model.json serves as it did. Overrides come from the caller (``replace``), or
from a deployment's ``FORECAST_SERVING`` text (``parse_overrides``); each bad value is refused by name.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

HORIZON_HOURS = 168
OFF = "off"


class ServingConfigError(ValueError):
    """A serving option is unknown or has an unusable value; the message names the option."""


def _share(name: str, value) -> float | None:
    """A positive share, or None (off)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < float("inf"):
        raise ServingConfigError(f"{name} must be a positive number or None (off), got {value!r}")
    return float(value)


def _margin(name: str, value) -> float | None:
    """A share in [0, 1), or None (off)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
        raise ServingConfigError(f"{name} must be a share in [0, 1) or None (off), got {value!r}")
    return float(value)


def _weight(name: str, value) -> float | None:
    """A weight in (0, 1], or None (off; 0 is off too)."""
    if value is None or (not isinstance(value, bool) and value == 0):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ServingConfigError(f"{name} must be a weight in [0, 1], got {value!r}")
    return float(value)


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ServingConfigError(f"{name} must be true or false, got {value!r}")
    return value


def _pair(name: str, value) -> tuple[float, float]:
    """Two finite numbers (a list or tuple of them, not a string)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2 or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in value):
        raise ServingConfigError(f"{name} must be a pair of finite numbers, got {value!r}")
    return float(value[0]), float(value[1])


def _fade(name: str, value) -> tuple[int, int]:
    """(full, end) hours with 1 <= full <= end <= 168: weekly naive serves through ``full``, none from ``end``."""
    full, end = _pair(name, value)
    if full != int(full) or end != int(end) or not 1 <= full <= end <= HORIZON_HOURS:
        raise ServingConfigError(f"{name} must be whole hours (full, end) with 1 <= full <= end <= "
                                 f"{HORIZON_HOURS}, got {value!r}")
    return int(full), int(end)


def _gate(name: str, value) -> tuple[float, float] | None:
    """(persistence in [0, 1), spread > 0), or None (off)."""
    if value is None:
        return None
    persistence, spread = _pair(name, value)
    if not 0.0 <= persistence < 1.0 or not 0.0 < spread < float("inf"):
        raise ServingConfigError(f"{name} must be (persistence in [0, 1), spread > 0) or None (off), got {value!r}")
    return persistence, spread


def _option(default, help_text: str, metavar: str | None = None):
    """A field with its command-line help beside it: the experiments' flags are generated from these."""
    return field(default=default, metadata={"help": help_text, "metavar": metavar})


@dataclass(frozen=True)
class ServingConfig:
    """How a loaded network serves; each field is one layer's option and the layer's class documents it."""

    fallback_to_seasonal_naive: bool = _option(          # Selector
        False, "serve weekly seasonal naive for a series whose network forecast of its own last week lost to it")
    fallback_fade_hours: tuple[int, int] = _option(       # Selector
        (HORIZON_HOURS, HORIZON_HOURS), "the fallback serves weekly naive through hour FULL and fades into the "
        "network by hour END", "FULL:END")
    fallback_max_week_change: float | None = _option(     # Selector
        None, "the fallback serves only series whose last week differs from the week before by less than SHARE "
        "of its mean", "SHARE")
    fallback_level_gate: tuple[float, float] | None = _option(   # Selector
        None, "the fallback does not serve a series whose day totals' departures from their weekday's usual level "
        "last (persistence above PERSISTENCE) and wander (robust spread above SPREAD, in log units)",
        "PERSISTENCE:SPREAD")
    clean_days_threshold: float | None = _option(         # CleanDays
        None, "before forecasting, replace days of the last weeks whose total departs from their weekday's median "
        "by more than SHARE", "SHARE")
    seasonal_trend_margin: float | None = _option(        # Selector
        None, "serve the seasonal-trend forecast (weekly profile x last day's level x damped trend) for a series "
        "whose backtest week it forecast better than both the network and weekly naive by more than SHARE", "SHARE")
    level_persistence_floor: float | None = _option(      # PersistentLevel
        None, "where the network serves, carry the last day's departure from its weekday's usual total forward by "
        "its day-to-day persistence phi, with a share rising from 0 at phi = SHARE to 1 at phi = 1", "SHARE")
    level_outlier_spreads: float | None = _option(        # PersistentLevel
        8.0, "clip each day's departure at SPREADS robust spreads from the median departure, so one holiday "
        "neither proves persistence nor is carried on", "SPREADS")
    blend_median3: float | None = _option(                # Median3Blend
        None, "move each median (and its band) this share of the way to the median of the values 1, 2 and 3 "
        "weeks back", "W")

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _CHECKS[f.name](f.name, getattr(self, f.name)))

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "ServingConfig":
        """A config from model.json's ``serving`` table (or any mapping); unknown keys are refused by name."""
        unknown = [key for key in options if key not in _CHECKS]
        if unknown:
            raise ServingConfigError("; ".join(_unknown(key) for key in unknown))
        return cls(**{key: _from_json(key, value) for key, value in options.items()})

    def replace(self, **changes) -> "ServingConfig":
        """A copy with ``changes`` (None switches an option off); unknown names are refused."""
        unknown = [key for key in changes if key not in _CHECKS]
        if unknown:
            raise ServingConfigError("; ".join(_unknown(key) for key in unknown))
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: pairs as lists, off as None."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


_CHECKS = {"fallback_to_seasonal_naive": _flag, "fallback_fade_hours": _fade, "fallback_max_week_change": _share,
           "fallback_level_gate": _gate, "clean_days_threshold": _share, "seasonal_trend_margin": _margin,
           "level_persistence_floor": _margin, "level_outlier_spreads": _share, "blend_median3": _weight}
OPTIONS = tuple(_CHECKS)


def _unknown(key: str) -> str:
    close = difflib.get_close_matches(str(key), OPTIONS, n=1)
    return f"unknown serving option {key!r}" + (f"; did you mean {close[0]}?" if close else "")


def _from_json(key: str, value):
    return tuple(value) if isinstance(value, list) else value


def parse_overrides(text: str) -> dict[str, Any]:
    """``"name=value,name=value"`` (a deployment's FORECAST_SERVING) -> overrides for ``ServingConfig.replace``.

    ``off`` switches an option off; pairs are written ``A:B``; booleans ``true``/``false``. Every option
    is checked here, so a bad setting stops a worker at start with the option named.
    """
    overrides: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, raw = (s.strip() for s in item.partition("="))
        if not sep:
            raise ServingConfigError(f"serving override {item!r} must be written name=value")
        if name not in _CHECKS:
            raise ServingConfigError(_unknown(name))
        overrides[name] = _parse_value(name, raw)
    ServingConfig().replace(**{k: v for k, v in overrides.items()})   # validate each, by name
    return overrides


def _parse_value(name: str, raw: str):
    text = raw.lower()
    if text == OFF:
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        numbers = tuple(float(part) for part in text.split(":"))
    except ValueError:
        raise ServingConfigError(f"{name} must be a number, A:B, true, false or off, got {raw!r}") from None
    return numbers if len(numbers) > 1 else numbers[0]
