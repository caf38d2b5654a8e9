"""`capplan batch PLANS.csv`: one plan per row, columns named as the API's fields.

A header the CLI cannot map (an unknown, repeated or missing column) refuses the whole file before
anything is sent. A cell it cannot read fails only its own row, which stays on this side with its
line and column: see ``PlanRow``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from capplan.hours import HourError, api_text, parse_hour
from capplan.local_input import LocalInputError, read_text
from capplan.plan_fields import BATCH_COLUMNS, FIELD_OF_COLUMN, REASONS, REQUIRED_COLUMNS, convert, header_problems


@dataclass(frozen=True)
class PlanRow:
    """One row of the file: the plan to send, or why it cannot be sent (then ``plan`` is None)."""

    line: int                 # the file line the row starts on, counting the header as line 1
    plan_id: str              # its id cell, or "" without one
    plan: dict | None
    error: str | None         # "column current_load: 'lots' is not a number"


def read_plans(path: str, zone: ZoneInfo) -> list[PlanRow]:
    rows = _rows(read_text(path))
    if not rows:
        raise LocalInputError(f"{path}: empty; expected a header (id,current_capacity,current_load,...) "
                              "and one plan per line")
    header_line, header = rows[0]
    columns = _check_header(path, header_line, header, rows[1:])
    plans = [_plan_row(line, cells, columns, zone) for line, cells in rows[1:]]
    if not plans:
        raise LocalInputError(f"{path}: a header and no plans")
    return plans


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(starting line, cells) of each row that is not blank."""
    reader = csv.reader(io.StringIO(text))
    rows, ended = [], 0
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((ended + 1, [cell.strip() for cell in cells]))
        ended = reader.line_num
    return rows


def _check_header(path: str, line: int, header: list[str], rows) -> list[str | None]:
    """The field of each column (None for a nameless, empty column); every problem is reported at once."""
    names = [name.lower() for name in header]
    found = header_problems(names)
    problems = [why for name, why in found.items() if not why.startswith("missing")]
    for i, name in enumerate(names):
        if not name and any(i < len(cells) and cells[i] for _, cells in rows):
            problems.append(f"column {i + 1} has values but no name in the header")
    problems += [why for why in found.values() if why.startswith("missing")]
    if problems:
        raise LocalInputError(f"{path}: line {line} (the header) does not name the plan's columns; "
                              "nothing was submitted\n  " + "\n  ".join(problems)
                              + f"\n  known columns: {', '.join(BATCH_COLUMNS)}")
    return [name or None for name in names]


def _plan_row(line: int, cells: list[str], columns: list[str | None], zone: ZoneInfo) -> PlanRow:
    values = dict(zip(columns, cells + [""] * (len(columns) - len(cells))))   # a short row: empty cells
    plan_id = values.get("id") or ""
    if len(cells) > len(columns):
        return PlanRow(line, plan_id, None, f"{len(cells)} cells, the header has {len(columns)} columns")
    plan, errors = {}, []
    for name, text in values.items():
        if name is None or not text:
            if name in REQUIRED_COLUMNS and not (name == "current_load" and values.get("history")):
                unless = " without a history" if "history" in values else ""
                errors.append(f"column {name} is empty (required{unless})")
            continue
        try:
            plan[FIELD_OF_COLUMN.get(name, name)] = _value(name, text, zone)
        except HourError as e:
            errors.append(f"column {name}: {e}")
        except ValueError as e:            # a history names its bad value itself
            why = str(e) if BATCH_COLUMNS[name] == "history" else f"{text!r} {REASONS[BATCH_COLUMNS[name]]}"
            errors.append(f"column {name}: {why}")
    if "current_load" not in values and not values.get("history"):
        errors.append("column history is empty (required without a current_load column)")
    if errors:
        return PlanRow(line, plan_id, None, "; ".join(errors))
    return PlanRow(line, plan_id, plan, None)


def _value(name: str, text: str, zone: ZoneInfo):
    if BATCH_COLUMNS[name] == "hour":
        return api_text(parse_hour(text, zone))
    return convert(name, text)
