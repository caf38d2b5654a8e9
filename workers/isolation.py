"""Failures stay where they start: an exception while computing one request or plan fails it alone.

A group of requests (or a batch chunk's plans) goes through steps over columns, one value per item.
``each`` runs a step item by item. ``bisected`` runs a step once over every item (one network pass, one
vectorised planning pass) and, only when that raises, again over each half until the failing items are
alone: about 2 log2(N) smaller passes per bad item, and nothing extra when no item fails. A failed item is
logged with logger.exception and its ids and becomes FAILED, which later steps pass over. A task's time
limit is no item's fault, nor is whatever a step names in ``passthrough``: those go up and end the task.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

from celery.exceptions import SoftTimeLimitExceeded

log = logging.getLogger("capplan.worker")

# Planning under these NumPy error rules: a number that overflows the float range, an invalid operation
# (inf - inf, a cast of inf to an integer) or a division by zero raises where it happens, instead of
# carrying inf, NaN or -9223372036854775808 into a result. Underflow to zero is harmless and stays quiet.
STRICT_FLOATS = {"over": "raise", "invalid": "raise", "divide": "raise"}
COMPUTATION_ERROR = "computation_error"
COMPUTATION_MESSAGE = "the service could not compute a result from these values"
NEVER_ISOLATED = (SoftTimeLimitExceeded,)


class _Failed:
    """The result of an item whose computation raised."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FAILED"


FAILED = _Failed()
Describe = Callable[[int], dict]          # item position -> the ids to log it with


def _dead(columns: Sequence[Sequence]) -> set[int]:
    return {i for column in columns for i, value in enumerate(column) if value is FAILED}


def each(step: Callable, *columns: Sequence, describe: Describe) -> list:
    """step(*values) for each item whose values are all alive; FAILED where one is FAILED or step raises."""
    dead, out = _dead(columns), []
    for i, values in enumerate(zip(*columns)):
        if i in dead:
            out.append(FAILED)
            continue
        try:
            out.append(step(*values))
        except NEVER_ISOLATED:
            raise
        except Exception:
            log.exception("computation failed", extra=describe(i))
            out.append(FAILED)
    return out


def bisected(step: Callable, *columns: Sequence, describe: Describe, passthrough: tuple = ()) -> list:
    """step(*lists) -> one result per item, over the alive items at once; halves again where it raises."""
    dead = _dead(columns)
    alive = [i for i in range(len(columns[0])) if i not in dead]
    out: list = [FAILED] * len(columns[0])
    if alive:
        for i, result in zip(alive, _split_on_failure(step, columns, alive, describe,
                                                      NEVER_ISOLATED + passthrough)):
            out[i] = result
    return out


def _run(step: Callable, columns: Sequence[Sequence], positions: list[int]) -> list:
    results = step(*([column[i] for i in positions] for column in columns))
    if len(results) != len(positions):
        raise RuntimeError(f"a step gave {len(results)} results for {len(positions)} items")
    return results


def _split_on_failure(step: Callable, columns, positions: list[int], describe: Describe,
                      passthrough: tuple, whole: bool = True) -> list:
    """Results for ``positions`` in one pass; if it raises, each half on its own, down to single items."""
    try:
        return _run(step, columns, positions)
    except passthrough:
        raise
    except Exception as exc:
        if len(positions) == 1:
            log.exception("computation failed", extra=describe(positions[0]))
            return [FAILED]
        if whole:
            log.warning("a pass over %d items failed (%s); computing them in halves to find the failing ones",
                        len(positions), type(exc).__name__)
    mid = len(positions) // 2
    return (_split_on_failure(step, columns, positions[:mid], describe, passthrough, whole=False)
            + _split_on_failure(step, columns, positions[mid:], describe, passthrough, whole=False))
