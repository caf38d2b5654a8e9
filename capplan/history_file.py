"""`--history FILE`: hourly loads as bare numbers, or with their times (CSV with a time column, JSON points).

Times without an offset are read in ``--tz``; what is sent is naive UTC, as the API reads it. Every
refusal names the line (CSV) or the item (JSON) and the column.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from capplan.hours import HourError, api_text, parse_hour
from capplan.local_input import LocalInputError, is_number, number, read_text

TIME_COLUMNS = ("timestamp", "time", "hour", "datetime", "date", "ts")
LOAD_COLUMNS = ("load", "value", "y")


@dataclass(frozen=True)
class HistoryFile:
    history: list                 # [T] loads, or [P] {timestamp: naive UTC text, load} points
    last_hour: datetime | None    # naive UTC hour of the last value, when the file gives times


def read_history(path: str, zone: ZoneInfo) -> HistoryFile:
    text = read_text(path)
    if text.lstrip()[:1] in ("[", "{"):
        return _from_json(path, text, zone)
    return _from_csv(path, text, zone)


def _from_json(path: str, text: str, zone: ZoneInfo) -> HistoryFile:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise LocalInputError(f"{path}: not valid JSON ({e})") from None
    items = data.get("history") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise LocalInputError(f"{path}: expected a JSON list of loads or of {{timestamp, load}} points "
                              "(or an object with such a \"history\" list)")
    if not isinstance(items[0], dict):
        loads = [_json_load(path, f"[{i}]", v) for i, v in enumerate(items)]
        return HistoryFile(loads, None)
    points = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "timestamp" not in item or "load" not in item:
            raise LocalInputError(f"{path}: item [{i}] must be a {{\"timestamp\", \"load\"}} object like the first")
        points.append((_hour(path, f"item [{i}] timestamp", str(item["timestamp"]), zone),
                       _json_load(path, f"[{i}].load", item["load"])))
    return _with_times(points)


def _json_load(path: str, where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LocalInputError(f"{path}: item {where}: {value!r} is not a number")
    return float(value)


def _from_csv(path: str, text: str, zone: ZoneInfo) -> HistoryFile:
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, [cell.strip() for cell in row]) for row in reader if any(c.strip() for c in row)]
    if not rows:
        raise LocalInputError(f"{path}: holds no loads")
    time_col, load_col, header = _columns(path, rows[0][1])
    if header is not None:
        rows = rows[1:]
    if not rows:
        raise LocalInputError(f"{path}: holds no loads, only a header")
    width = len(rows[0][1])
    load_at = (lambda line: f"line {line}, column {header[load_col]}") if header else (
        (lambda line: f"line {line}, column 2 (the load)") if time_col is not None else (lambda line: f"line {line}"))
    time_at = (lambda line: f"line {line}, column {header[time_col]}") if header else (
        lambda line: f"line {line}, column 1 (the time)")
    loads, times = [], []
    for line, row in rows:
        if len(row) != width:
            raise LocalInputError(f"{path}: line {line} has {len(row)} cells, the lines above have {width}")
        try:
            loads.append(number(row[load_col]))
        except ValueError:
            raise LocalInputError(f"{path}: {load_at(line)}: {row[load_col]!r} is not a number") from None
        if time_col is not None:
            times.append(_hour(path, time_at(line), row[time_col], zone))
    return _with_times(list(zip(times, loads))) if time_col is not None else HistoryFile(loads, None)


def _columns(path: str, first: list[str]) -> tuple[int | None, int, list[str] | None]:
    """(time column, load column, the header or None) from the first row."""
    if all(is_number(cell) for cell in first[1:] or first):     # no header: loads, or time,load
        return (0, 1, None) if len(first) >= 2 else (None, 0, None)
    names = [cell.lower() for cell in first]
    time_col = next((names.index(n) for n in TIME_COLUMNS if n in names), None)
    load_col = next((names.index(n) for n in LOAD_COLUMNS if n in names), None)
    if load_col is None and len(names) - (time_col is not None) == 1:
        load_col = next(i for i in range(len(names)) if i != time_col)   # the one column that is not the time
    if load_col is None:
        raise LocalInputError(f"{path}: cannot tell which column holds the load in the header {first}; "
                              f"name it one of {', '.join(LOAD_COLUMNS)} (and the time column one of "
                              f"{', '.join(TIME_COLUMNS)})")
    return time_col, load_col, first


def _hour(path: str, where: str, text: str, zone: ZoneInfo) -> datetime:
    try:
        return parse_hour(text, zone)
    except HourError as e:
        raise LocalInputError(f"{path}: {where}: {e}") from None


def _with_times(points: list[tuple[datetime, float]]) -> HistoryFile:
    return HistoryFile([{"timestamp": api_text(when), "load": load} for when, load in points],
                       max(when for when, _ in points))
