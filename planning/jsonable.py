"""Planning results -> plain JSON types (dict, list, str, int, float, bool, None)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import numpy as np

from planning.errors import NonFiniteNumber
from planning.gc_pause import gc_paused

_PASS = (str, int, bool, type(None))


def _iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds")


@gc_paused
def to_jsonable(obj, *, strict: bool = False):
    """Dataclasses -> dicts (fields marked omit_if_none left out when None), numpy -> Python, NaN/inf -> None
    (or, when ``strict``, NonFiniteNumber), datetimes -> "YYYY-MM-DDTHH:MM:SS". Numbers are already rounded
    where the engine built them."""
    return _convert(obj, _refuse if strict else _null)


def _null(_value: float) -> None:
    return None


def _refuse(value: float):
    raise NonFiniteNumber(value)


def _convert(obj, nonfinite):
    kind = type(obj)
    if kind is float:
        return obj if obj - obj == 0 else nonfinite(obj)   # NaN and infinities are not JSON
    if kind in _PASS:
        return obj
    # Plain values dominate (hourly schedules, counts): pass them through without a call per element.
    if kind is dict:
        return {k if type(k) is str else str(k):
                v if type(v) in _PASS or (type(v) is float and v - v == 0) else _convert(v, nonfinite)
                for k, v in obj.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _PASS or (type(v) is float and v - v == 0) else _convert(v, nonfinite) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None and f.metadata.get("omit_if_none"):
                continue
            out[f.name] = _convert(value, nonfinite)
        return out
    if isinstance(obj, np.ndarray):
        if np.issubdtype(obj.dtype, np.datetime64):
            return np.datetime_as_string(obj.astype("datetime64[s]"), unit="s").tolist()
        return _convert(obj.tolist(), nonfinite)
    if isinstance(obj, np.datetime64):
        return None if np.isnat(obj) else str(np.datetime_as_string(obj.astype("datetime64[s]"), unit="s"))
    if isinstance(obj, np.generic):
        return _convert(obj.item(), nonfinite)
    if isinstance(obj, datetime):
        return _iso(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float):   # float subclasses
        return _convert(float(obj), nonfinite)
    if isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): _convert(v, nonfinite) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_convert(v, nonfinite) for v in obj]
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")
