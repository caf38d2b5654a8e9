"""Command-line flags generated from a config dataclass: each field's name, type, default and help make one flag.

``--field-name VALUE``; ``off`` is None (an option switched off); pairs are written ``A:B``; a bool field
is ``--field-name`` / ``--no-field-name``; a ``tuple[str, ...]`` field repeats. Each value is checked by
the dataclass itself, so a flag refuses exactly what the config refuses, by name.
"""
from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any

OFF = "off"


def add_flags(parser, cls, stored: bool = False) -> None:
    """One flag per field of ``cls`` on ``parser`` (a parser or an argument group).

    The default is the field's; with ``stored`` a flag left out is absent from the parsed namespace, so
    only the flags given override a config stored elsewhere (see ``given``).
    """
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint, flag = hints[f.name], "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "").replace("%", "%%")
        if not stored:
            help_text += f" (default: {spell(f.default)})".replace("%", "%%")
        default = argparse.SUPPRESS if stored else f.default
        if hint is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        elif _repeated(hint):
            parser.add_argument(flag, action="append", default=default if stored else list(f.default),
                                metavar=f.metadata.get("metavar"), help=help_text)
        else:
            parser.add_argument(flag, type=_checked(cls, f.name, hint), default=default,
                                choices=f.metadata.get("choices"), metavar=f.metadata.get("metavar") or _metavar(hint),
                                help=help_text)


def given(cls, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``cls`` that ``args`` holds: every one with defaults, only those given with ``stored``."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}


def spell(value) -> str:
    """A value as its flag is written: off for None, A:B for a pair."""
    if value is None:
        return OFF
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ":".join(map(str, value)) if value else "none"
    return str(value)


def parse_value(hint, text: str):
    """``text`` as a value of type ``hint``: off for None where the type allows it, ``A:B`` for pairs."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        if text.strip().lower() == OFF:
            return None
        hint = next(a for a in args if a is not type(None))
    if typing.get_origin(hint) is tuple:
        kinds, parts = typing.get_args(hint), text.split(":")
        if len(parts) != len(kinds):
            raise ValueError(f"{len(kinds)} values separated by ':' expected")
        return tuple(kind(part) for kind, part in zip(kinds, parts))
    return hint(text)


def _checked(cls, name: str, hint):
    """The flag's type: parse the text, then let ``cls`` check the value (and normalise it) by name."""
    def parse(text: str):
        try:
            return getattr(dataclasses.replace(cls(), **{name: parse_value(hint, text)}), name)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None

    parse.__name__ = name                                         # argparse names a type in some messages
    return parse


def _repeated(hint) -> bool:
    return typing.get_origin(hint) is tuple and typing.get_args(hint)[-1:] == (Ellipsis,)


def _metavar(hint) -> str | None:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    inner = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint
    return "A:B" if typing.get_origin(inner) is tuple else None
