"""A predicted breach: the hours whose p90 load over today's capacity reaches the plan's scaling threshold.

The breach runs from the first such hour to the end of the last one within the horizon (a daily peak that
returns each day is one breach, not one per day), and its peak is the highest p90 load in between. Hour k
of a forecast is ``start + k`` hours, as in planning.forecast.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from planning.rounding import LOAD_DECIMALS, UTILIZATION_DECIMALS

CRITICAL_WITHIN_HOURS = 6      # a breach that starts this soon after the last observed hour is critical


def breach_arrays(p90: np.ndarray, capacity: np.ndarray, threshold: np.ndarray) -> dict[str, np.ndarray]:
    """First and last hour over the threshold, the peak hour between them ([N] ints, -1 without a breach)."""
    util = p90 / capacity[:, None]                                   # [N, H]
    over = util >= threshold[:, None]                                # [N, H]
    hours = p90.shape[1]
    found = over.any(axis=1)                                         # [N]
    first = np.where(found, over.argmax(axis=1), -1)                 # [N]
    last = np.where(found, hours - 1 - over[:, ::-1].argmax(axis=1), -1)
    inside = (np.arange(hours)[None, :] >= first[:, None]) & (np.arange(hours)[None, :] <= last[:, None])
    peak = np.where(found, np.where(inside, p90, -np.inf).argmax(axis=1), -1)   # [N]
    return {"first": first, "last": last, "peak": peak, "hours_over": over.sum(axis=1)}


def breach_rows(starts: list[datetime], p90: np.ndarray, capacity: np.ndarray, threshold: np.ndarray,
                recommended: list) -> list[dict | None]:
    """Each plan's breach as plain JSON, or None where no hour's p90 reaches the threshold; one pass for N plans.

    ``starts``: each plan's first forecast hour; ``p90`` [N, H]; ``recommended``: each plan's recommendation.
    """
    found = breach_arrays(p90, capacity, threshold)
    firsts, lasts, peaks, over = (found[k].tolist() for k in ("first", "last", "peak", "hours_over"))
    caps, limits = capacity.tolist(), threshold.tolist()
    rows: list[dict | None] = [None] * len(starts)
    for i in np.nonzero(found["first"] >= 0)[0].tolist():            # only the plans that breach
        first, last, peak = firsts[i], lasts[i], peaks[i]
        at = [(starts[i] + timedelta(hours=h)).isoformat(timespec="seconds") for h in (first, peak, last + 1)]
        peak_load = float(p90[i, peak])
        starts_in = first + 1                                        # hours after the last observed hour
        rows[i] = {"start": at[0], "end": at[2], "starts_in_hours": starts_in, "hours_over_threshold": over[i],
                   "severity": "critical" if starts_in <= CRITICAL_WITHIN_HOURS else "warning",
                   "peak": {"timestamp": at[1], "p90_load": round(peak_load, LOAD_DECIMALS),
                            "p90_utilization": round(peak_load / caps[i], UTILIZATION_DECIMALS)},
                   "current_capacity": caps[i], "scaling_threshold": limits[i], "recommended_capacity": recommended[i]}
    return rows


def predicted_breach(start: datetime, p90, capacity: float, threshold: float,
                     recommended_capacity: float | None) -> dict | None:
    """The breach of one plan (``start``: its first forecast hour), or None: breach_rows for N = 1."""
    return breach_rows([start], np.asarray(p90, dtype=float)[None, :], np.array([capacity]),
                       np.array([threshold]), [recommended_capacity])[0]
