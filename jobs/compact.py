"""Stored JSON bodies, compressed: zlib over compact JSON, base64 so they fit the store's text client.

A compressed value starts with ``z1:``, which no JSON text does, so values stored as plain JSON before
read unchanged.
"""
from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import orjson

MARKER = "z1:"
LEVEL = 6        # zlib's default: per-plan results shrink ~5x; higher levels gain little for more CPU
# For values kept minutes, not a day (a batch's chunks of plans, dropped when it finishes): several times
# faster than LEVEL over long histories, for somewhat larger values.
FAST = 1


def pack(value: Any, level: int = LEVEL) -> str:
    """``value`` as compact JSON, compressed at zlib ``level``, with the format marker."""
    raw = json.dumps(value, separators=(",", ":")).encode()
    return MARKER + base64.b64encode(zlib.compress(raw, level)).decode("ascii")


def pack_fast(value: Any) -> str:
    """``pack`` for a batch's chunks, checked values that live minutes: orjson writes the millions of history
    numbers ~10x faster than json (the same numbers, read back exactly), and zlib at FAST."""
    return MARKER + base64.b64encode(zlib.compress(orjson.dumps(value), FAST)).decode("ascii")


def unpack(text: str) -> Any:
    """What ``pack`` made, or a value stored as plain JSON."""
    if text.startswith(MARKER):
        return json.loads(zlib.decompress(base64.b64decode(text[len(MARKER):])))
    return json.loads(text)
