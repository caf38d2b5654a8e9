"""Hour-by-hour capacity that keeps the p90 at or under the threshold, with lead time, hold time and bounds."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.forecast import ForecastBatch
from planning.plan import PlanBatch
from planning.rounding import LOAD_DECIMALS, PERCENT_DECIMALS, capacity_list, round_list
from planning.rows import dict_rows, split_rows
from planning.sizing import ceil_capacity
from planning.units import has_cost, has_units, static_cost, unit_size

_NEVER = -(10 ** 6)  # "last change" before any change: far enough back that any hold has passed


def window_max(values: np.ndarray, *widths: np.ndarray) -> list[np.ndarray]:
    """For each widths [N] (>= 1): [N, H] max of values[i, k : k + width[i]], cut at H (one sparse table)."""
    h = values.shape[1]
    top = int(np.log2(max(int(w.max()) for w in widths)))
    levels = [values]                                  # level j at k: max over [k, min(k + 2**j, h))
    for j in range(1, top + 1):
        prev, step = levels[-1], 2 ** (j - 1)
        nxt = prev.copy()
        if step < h:
            np.maximum(prev[:, :h - step], prev[:, step:], out=nxt[:, :h - step])
        levels.append(nxt)
    return [_windows_from_levels(levels, width) for width in widths]


def _windows_from_levels(levels: list[np.ndarray], width: np.ndarray) -> np.ndarray:
    """[N, H] window maxima for per-plan widths: max of two overlapping 2**j blocks, per distinct width."""
    h = levels[0].shape[1]
    distinct = np.unique(width).tolist()
    if len(distinct) == 1:                             # the usual case: one width for all plans, plain slices
        return _two_block_max(levels, distinct[0], slice(None), h)
    out = np.empty_like(levels[0])
    for w in distinct:                                 # each plan's row is read and written once overall
        rows = np.flatnonzero(width == w)
        out[rows] = _two_block_max(levels, w, rows, h)
    return out


def _two_block_max(levels: list[np.ndarray], w: int, rows, h: int) -> np.ndarray:
    j = int(np.log2(w))
    level = levels[j][rows]                            # a copy for fancy rows, a view for slice(None)
    shift = w - 2 ** j                                 # a second block of 2**j from k + shift reaches k + w
    if not 0 < shift < h:
        return level
    block = level.copy() if isinstance(rows, slice) else level
    np.maximum(level[:, :h - shift], level[:, shift:], out=block[:, :h - shift])
    return block


@dataclass(frozen=True, slots=True)
class ScheduleCore:
    """The schedule for N plans as arrays."""

    capacity: np.ndarray        # [N, H] capacity in place at each hour
    need: np.ndarray            # [N, H] p90 / threshold, rounded up to whole units, within the bounds
    uncovered: np.ndarray       # [N, H] bool: max_capacity cannot keep the p90 at or under the threshold
    changed: np.ndarray         # [N, H] bool: capacity differs from the hour before (hour 0: from current)
    static_capacity: np.ndarray  # [N] the static peak plan: max(need)


def schedule_core(fb: ForecastBatch, pb: PlanBatch) -> ScheduleCore:
    """Greedy forward pass over hours, vectorised over plans (see the README for the rules)."""
    unit = unit_size(pb)[:, None]                                              # [N, 1]
    raw_need = fb.p90 / pb.scaling_threshold[:, None]                          # [N, H]
    need = np.maximum(ceil_capacity(raw_need / unit), 1.0) * unit              # whole units, at least one
    low = np.where(np.isnan(pb.min_capacity), 0.0, pb.min_capacity)[:, None]
    high = np.where(np.isnan(pb.max_capacity), np.inf, pb.max_capacity)[:, None]
    uncovered = raw_need > high
    need = np.clip(need, low, high)

    lead, hold = pb.lead_time_hours, pb.min_hold_hours
    # required: in place lead hours before it is needed; target: what a change sets, enough for the hold window
    required, target = window_max(need, lead + 1, lead + hold)   # [N, H] each
    # Hours are sequential, plans are not: loop over hours on [H, N] copies so each step reads contiguous rows.
    required_t = np.ascontiguousarray(required.T)   # [H, N]
    target_t = np.ascontiguousarray(target.T)       # [H, N]
    capacity_t = np.empty_like(required_t)          # [H, N]
    held = pb.current_capacity.copy()               # [N]
    last_change = np.full(len(pb), _NEVER)
    ceiling = high[:, 0]
    band = 1.0 + pb.hysteresis                      # [N] scale down only when over the need by more than this
    for k in range(fb.hours):
        up = required_t[k] > held
        down = (target_t[k] * band < held) & (k - last_change >= hold)
        down |= held > ceiling                      # a capacity above max_capacity comes down at once
        move = up | down                            # both go to the hold-window target
        np.copyto(held, target_t[k], where=move)
        np.copyto(last_change, k, where=move)
        capacity_t[k] = held
    capacity = np.ascontiguousarray(capacity_t.T)   # [N, H]
    previous = np.concatenate([pb.current_capacity[:, None], capacity[:, :-1]], axis=1)
    return ScheduleCore(capacity=capacity, need=need, uncovered=uncovered, changed=capacity != previous,
                        static_capacity=need.max(axis=1))


def schedule_dicts(fb: ForecastBatch, pb: PlanBatch, core: ScheduleCore) -> list[dict]:
    """One scaling_schedule dict per plan; the hourly list starts at `start`, one value per hour."""
    n, hours = core.capacity.shape
    capacity_hours = core.capacity.sum(axis=1)
    static_hours = core.static_capacity * hours
    change_hours = split_rows(np.nonzero(core.changed)[1].tolist(), core.changed.sum(axis=1))
    gap_rows, gap_cols = np.nonzero(core.uncovered)                          # plan after plan
    gap_stamps = np.datetime_as_string(fb.start[gap_rows] + gap_cols.astype("timedelta64[h]"), unit="s").tolist()
    uncovered = split_rows(gap_stamps, core.uncovered.sum(axis=1))
    out = dict_rows(
        start=np.datetime_as_string(fb.start, unit="s").tolist(), hours=[hours] * n,
        lead_time_hours=pb.lead_time_hours.tolist(), min_hold_hours=pb.min_hold_hours.tolist(),
        min_capacity=capacity_list(pb.min_capacity), max_capacity=capacity_list(pb.max_capacity),
        capacity=np.round(core.capacity, LOAD_DECIMALS).tolist(),
        change_hours=change_hours, scaling_actions=[len(c) for c in change_hours],
        capacity_hours=round_list(capacity_hours, LOAD_DECIMALS), static_capacity=capacity_list(core.static_capacity),
        static_capacity_hours=round_list(static_hours, LOAD_DECIMALS),
        saving_capacity_hours=round_list(static_hours - capacity_hours, LOAD_DECIMALS),
        saving_percent=round_list((1.0 - capacity_hours / static_hours) * 100.0, PERCENT_DECIMALS),
        uncovered_hours=[len(u) for u in uncovered], uncovered_timestamps=uncovered)
    _add_instances_and_cost(pb, core, out)
    return out


def _add_instances_and_cost(pb: PlanBatch, core: ScheduleCore, out: list[dict]) -> None:
    """Hourly instances for plans with unit fields, and the schedule's cost against the static peak's."""
    n, hours = core.capacity.shape
    unit_rows, cost_rows = has_units(pb), has_cost(pb)
    priced = np.flatnonzero(unit_rows | cost_rows)                           # only these need instances
    unit = unit_size(pb)[priced, None]
    hourly_instances = np.zeros((n, hours), dtype=np.int64)
    hourly_instances[priced] = ceil_capacity(core.capacity[priced] / unit)
    cost = (hourly_instances * pb.unit_cost_per_hour[:, None]).sum(axis=1)  # NaN without a unit cost
    static_costs = static_cost(core.static_capacity, pb, hours)              # NaN without a unit cost
    for i in np.flatnonzero(unit_rows).tolist():
        out[i]["instances"] = hourly_instances[i].tolist()
    for i in np.flatnonzero(cost_rows).tolist():                             # after "instances" in each dict
        out[i]["cost"] = round(float(cost[i]), LOAD_DECIMALS)
        out[i]["static_cost"] = round(float(static_costs[i]), LOAD_DECIMALS)
        out[i]["saving"] = round(float(static_costs[i] - cost[i]), LOAD_DECIMALS)
