"""A batch sent as CSV: the columns of `capplan batch` files (capplan.plan_fields), one plan per row.

Each row becomes the plan a JSON batch would carry, and goes through the same per-plan check (so its
errors read the same, naming the column: ``current_load: must be a number``). A cell that is not of its
column's kind is passed on as text for that check to refuse; a history cell's words are numbers where they
read as numbers, so ``history[3]`` names the bad one. Hours are read as the API reads them: ISO 8601, UTC
unless an offset is given. A header with an unknown, repeated or missing column is one 400.
"""
from __future__ import annotations

import csv
import io
import math
from contextlib import contextmanager
from typing import Iterator

from capplan.errors import InvalidRequest
from capplan.local_input import number
from capplan.plan_fields import BATCH_COLUMNS, FIELD_OF_COLUMN, convert, header_problems


def csv_plans(data: bytes) -> tuple[list[str], Iterator[tuple[dict, str | None]]]:
    """The header's columns, and (plan, why the row's shape is wrong or None) for each row in file order;
    blank rows are skipped."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), strict=True)
    with _readable(reader):
        header = _header(next((row for row in reader if _filled(row)), None))
    return header, _rows(reader, header)


def _rows(reader, header: list[str]) -> Iterator[tuple[dict, str | None]]:
    with _readable(reader):
        for cells in reader:
            if _filled(cells):
                yield _plan(header, [cell.strip() for cell in cells])


@contextmanager
def _readable(reader):
    """Text that is not UTF-8, or not CSV, is a 400 naming the body."""
    try:
        yield
    except UnicodeDecodeError:
        raise InvalidRequest.field("body", "is not UTF-8 text (Content-Type: text/csv)") from None
    except csv.Error as e:
        raise InvalidRequest.field("body", f"is not CSV: line {reader.line_num}: {e}") from None


def _filled(cells: list[str]) -> bool:
    return any(cell.strip() for cell in cells)


def _header(row: list[str] | None) -> list[str]:
    if row is None:
        raise InvalidRequest.field("body", "is empty; expected a header (id,current_capacity,current_load,...) "
                                           "and one plan per row")
    names = [cell.strip().lower() for cell in row]
    problems = header_problems(names)
    if problems:
        raise InvalidRequest("the CSV header does not name the plan's columns: " + "; ".join(problems.values()),
                             problems)
    return names


def _plan(header: list[str], cells: list[str]) -> tuple[dict, str | None]:
    plan: dict = {}
    problem = None
    if len(cells) > len(header):
        problem = f"{len(cells)} cells, the header has {len(header)} columns"
    for name, text in zip(header, cells):
        if not text:
            continue
        if not name:
            problem = "a cell under a column with no name in the header"
            continue
        plan[FIELD_OF_COLUMN.get(name, name)] = _value(name, text)
    return plan, problem


def _value(name: str, text: str):
    """The cell as JSON would carry it: a number where the column takes one and it reads as one, else text."""
    kind = BATCH_COLUMNS[name]
    if kind == "history":
        return _history(text.split())
    if kind in ("number", "integer"):
        try:
            return convert(name, text)
        except ValueError:
            return text
    return text


def _history(words: list[str]) -> list:
    """The words as numbers; where one is not (capplan.local_input.number), each word as number or text."""
    if "_" not in "".join(words):         # the common case at C speed: 10,000 rows of 672 numbers
        try:
            values = list(map(float, words))
            if all(map(math.isfinite, values)):
                return values
        except ValueError:
            pass
    return [_number_or_text(word) for word in words]


def _number_or_text(word: str):
    try:
        return number(word)
    except ValueError:
        return word
