"""CSV cells that a spreadsheet opens as text, never as a formula (OWASP's CSV injection advice).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (`=HYPERLINK(...)` can send data away). Such a text cell gets a leading single quote.
Numbers we computed (ints and floats, `-5` included) stay numbers: a spreadsheet reads `-5` as minus five,
and quoting it would break sums; only text (plan ids and messages, which may echo a client's input) is
changed. The API and the CLI both write through here.
"""
from __future__ import annotations

from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """``cell`` with a leading ``'`` when it is text a spreadsheet would run; anything else unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def neutralise_row(cells: Iterable[Any]) -> list:
    return [neutralise(cell) for cell in cells]
