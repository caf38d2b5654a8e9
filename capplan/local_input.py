"""What the CLI reads before it sends anything: text files, numbers, names; each refusal says where and why."""
from __future__ import annotations

import difflib
import math
from collections.abc import Iterable


class LocalInputError(ValueError):
    """A file, flag or option the CLI refuses before any request: nothing was sent."""


def read_text(path: str) -> str:
    """The file as text: UTF-8 (a byte-order mark is dropped); a binary or other-encoded file is refused."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LocalInputError(f"{path}: cannot read it ({e.strerror or e})") from None
    if b"\x00" in data:
        raise LocalInputError(f"{path}: not a text file (it holds NUL bytes, so it looks binary); "
                              "give a CSV or JSON text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise LocalInputError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}); "
                              "save it as UTF-8 (\"CSV UTF-8\" in a spreadsheet)") from None


def closest(name: str, known: Iterable[str], prefer: Iterable[str] = ()) -> str | None:
    """The known name ``name`` most likely meant; names in ``prefer`` (say, missing required ones) first."""
    for candidates, cutoff in ((list(prefer), 0.4), (list(known), 0.6)):
        match = difflib.get_close_matches(name.lower(), candidates, n=1, cutoff=cutoff)
        if match:
            return match[0]
    return None


def did_you_mean(name: str, known: Iterable[str], prefer: Iterable[str] = ()) -> str:
    match = closest(name, known, prefer)
    return f" (did you mean {match!r}?)" if match else ""


def number(text: str) -> float:
    """A finite decimal number; anything else raises ValueError."""
    if "_" in text:                     # float() reads "1_000"; no spreadsheet writes it, so it is a typo
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def is_number(text: str) -> bool:
    try:
        number(text)
    except ValueError:
        return False
    return True


def whole_number(text: str) -> int:
    value = number(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)
