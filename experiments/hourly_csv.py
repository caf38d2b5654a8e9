"""Hourly CSV files as users have them: a time column, value columns, gaps, duplicates, local clocks."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from models.features import epoch_hour

TIME_COLUMNS = ("timestamp", "datetime", "date_time", "date", "time", "ds")   # tried in order, any case
MIN_HOURS_COVERED = 0.5   # under this share of the hours between the first and last row: not hourly data
_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$")   # at the end of the clock part only, never the date


def read_hourly_csv(path: str | Path, columns: list[str] | None = None, time_column: str | None = None,
                    notes: list[str] | None = None) -> tuple[dict[str, np.ndarray], int]:
    """Columns of an hourly CSV -> ({name: values on consecutive hours}, first epoch hour).

    Timestamps are ISO 8601 and read as written: a UTC offset is dropped, so local times keep their daily
    shape. Rows need not be sorted. Several rows in one hour (a clock set back, sub-hourly data) become
    their mean; hours without a row or a value take the value a week earlier; negative values become 0.
    Each such repair is counted in ``notes`` when given. Raises ValueError naming the column or line.
    """
    with open(path, newline="", encoding="utf-8-sig") as fh:      # a spreadsheet's byte-order mark too
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        time_name = time_column or _time_column(header)
        if time_name not in header:
            raise ValueError(f"{path}: no time column {time_name!r}; the header has {', '.join(header) or 'nothing'}"
                             if time_column else f"{path}: needs a time column named one of {', '.join(TIME_COLUMNS)}")
        names = [c for c in header if c != time_name]
        wanted = columns or names
        missing = [c for c in wanted if c not in names]
        if missing or not wanted:
            raise ValueError(f"{path}: no value column {', '.join(map(repr, missing))}" if missing
                             else f"{path}: needs a value column beside {time_name!r}")
        stamps, values = [], {c: [] for c in wanted}
        for line, row in enumerate(reader, start=2):
            stamps.append(_hour(row[time_name], path, line, time_name))
            for c in wanted:
                values[c].append(_number(row[c], path, line, c))
    if len(stamps) < 2:
        raise ValueError(f"{path}: needs at least two rows of data")
    return _on_hours(np.asarray(stamps), {c: np.asarray(v) for c, v in values.items()}, path, notes)


def _time_column(header: list[str]) -> str:
    lowered = {name.strip().lower(): name for name in header}
    return next((lowered[name] for name in TIME_COLUMNS if name in lowered), TIME_COLUMNS[0])


def _hour(text: str | None, path, line: int, column: str) -> int:
    day, sep, clock = (text or "").strip().replace(" ", "T", 1).partition("T")
    stamp = day + sep + _OFFSET.sub("", clock)
    try:
        return epoch_hour(np.datetime64(stamp))
    except ValueError:
        raise ValueError(f"{path}: line {line}, column {column!r}: {text!r} is not an ISO 8601 timestamp "
                         f"(e.g. 2024-01-15 10:00:00)") from None


def _number(text: str | None, path, line: int, column: str) -> float:
    text = (text or "").strip()
    if text.lower() in ("", "nan", "na", "null"):
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{path}: line {line}, column {column!r}: {text!r} is not a number") from None


def _on_hours(stamps: np.ndarray, values: dict[str, np.ndarray], path, notes: list[str] | None):
    """Rows [R] at epoch hours -> every hour from the first to the last: means of repeats, gaps filled."""
    first = int(stamps.min())
    slot = stamps - first                                         # [R] hour index of each row
    hours = int(slot.max()) + 1
    rows_per_hour = np.bincount(slot, minlength=hours)            # [hours]
    if (rows_per_hour > 0).mean() < MIN_HOURS_COVERED:
        raise ValueError(f"{path}: {len(stamps)} rows cover only {(rows_per_hour > 0).sum()} of the {hours} hours "
                         f"from the first to the last: the data must be hourly")
    found = []
    if (rows_per_hour > 1).any():
        found.append(f"{int((rows_per_hour > 1).sum())} hours had several rows, read as their mean")
    if (rows_per_hour == 0).any():
        found.append(f"{int((rows_per_hour == 0).sum())} hours had no row, filled from a week earlier")
    out = {}
    for name, column in values.items():
        known = np.isfinite(column)
        sums = np.bincount(slot[known], weights=column[known], minlength=hours)
        counts = np.bincount(slot[known], minlength=hours)
        hourly = np.divide(sums, counts, out=np.full(hours, np.nan), where=counts > 0)
        blank = int(((counts == 0) & (rows_per_hour > 0)).sum())
        negative = int((hourly < 0).sum())
        if blank:
            found.append(f"{name}: {blank} hours without a value, filled from a week earlier")
        if negative:
            found.append(f"{name}: {negative} negative hourly values read as 0 (load is never negative)")
        out[name] = _fill_gaps(hourly)
    if notes is not None:
        notes.extend(found)
    return out, first


def _fill_gaps(values: np.ndarray) -> np.ndarray:
    """Missing hours take the value a week (else a day, else an hour) earlier, or 0 at the start."""
    out = values.copy()
    for i in np.flatnonzero(~np.isfinite(out)):
        back = next((i - lag for lag in (168, 24, 1) if i - lag >= 0 and np.isfinite(out[i - lag])), None)
        out[i] = out[back] if back is not None else 0.0
    return np.maximum(out, 0.0)
