"""The check that a response holds only JSON values: finite numbers, strings, booleans, null, lists, objects.

Python's json writes NaN and infinities as ``NaN`` and ``Infinity``, which no JSON parser need accept;
every stored body passes this check first. Tests run it over the responses they receive.
"""
from __future__ import annotations

_SCALARS = (str, int, bool, type(None))


class NotJson(ValueError):
    """A value that JSON cannot hold; ``where`` is its path, such as ``$.forecast[3].lower``."""

    def __init__(self, where: str, what: str):
        self.where, self.what = where, what
        super().__init__(f"{where}: {what}")


def check_json(value) -> None:
    """Return quietly when ``value`` is plain JSON with finite numbers; else raise NotJson naming the first
    bad value's path."""
    if not _plain(value):
        found = _first_bad(value, "$")
        if found:
            raise NotJson(*found)


def _plain(value) -> bool:
    """The fast walk: no paths, exact types only (x - x == 0 is False for NaN and infinities). False for
    anything unusual, which the slow walk then judges."""
    kind = type(value)
    if kind is float:
        return value - value == 0
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) is float:
                if item - item != 0:
                    return False
            elif type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    if kind is list:
        for item in value:
            if type(item) is float:
                if item - item != 0:
                    return False
            elif type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    return kind in _SCALARS


def _first_bad(value, where: str) -> tuple[str, str] | None:
    """The slow walk: the path of the first bad value and what is wrong with it, or None. Subclasses of
    float, int and str and tuples pass, as json writes them (a finite numpy float64 is a float)."""
    if isinstance(value, float):
        return None if value - value == 0 else (where, f"{value!r} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                return f"{where}[{key!r}]", f"key of type {type(key).__name__} is not a string"
            found = _first_bad(item, f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _first_bad(item, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if isinstance(value, _SCALARS) else (where, f"{type(value).__name__} is not a JSON value")
