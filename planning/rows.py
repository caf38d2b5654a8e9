"""Columns over N plans -> one record per plan, every value paired with its name rather than its position."""
from __future__ import annotations

from dataclasses import fields

import numpy as np


def records(cls, **columns: list) -> list:
    """One `cls` per plan from lists over N plans, one named after each field of the dataclass `cls`."""
    names = [f.name for f in fields(cls)]
    if columns.keys() != set(names):
        raise TypeError(f"{cls.__name__} columns: missing {sorted(set(names) - columns.keys())}, "
                        f"unknown {sorted(columns.keys() - set(names))}")
    if len({len(column) for column in columns.values()}) > 1:
        raise ValueError(f"{cls.__name__} columns differ in length")
    return list(map(cls, *(columns[name] for name in names)))


def dict_rows(**columns: list) -> list[dict]:
    """One dict per plan from lists over N plans; keys in the order given."""
    n = len(next(iter(columns.values())))
    rows: list[dict] = [{} for _ in range(n)]
    for key, column in columns.items():          # column by column: faster than dict(zip(keys, row)) per plan
        if len(column) != n:
            raise ValueError(f"column {key!r} has {len(column)} values for {n} plans")
        for row, value in zip(rows, column):
            row[key] = value
    return rows


def split_rows(flat: list, counts: np.ndarray) -> list[list]:
    """Cut `flat`, laid out plan after plan, into one list per plan of counts[i] ([N] int) items."""
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
