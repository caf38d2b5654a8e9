"""Hour-by-hour capacity that keeps the p90 at or under the threshold, with lead time, hold time and bounds."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.forecast import ForecastBatch
from planning.plan import PlanBatch
from planning.rounding import LOAD_DECIMALS, PERCENT_DECIMALS, capacity_list, round_list
from planning.sizing import ceil_capacity
from planning.units import has_cost, has_units, instances

_NEVER = -(10 ** 6)  # "last change" before any change: far enough back that any hold has passed


def window_max(values: np.ndarray, width: np.ndarray) -> np.ndarray:
    """[N, H] max of values[i, k : k + width[i]] (cut at H), for per-plan widths >= 1 (sparse table)."""
    n, h = values.shape
    top = int(np.log2(max(int(width.max()), 1)))
    levels = [values]                                  # level j at k: max over [k, min(k + 2**j, h))
    for j in range(1, top + 1):
        prev, step = levels[-1], 2 ** (j - 1)
        nxt = prev.copy()
        if step < h:
            np.maximum(prev[:, :h - step], prev[:, step:], out=nxt[:, :h - step])
        levels.append(nxt)
    level_of = np.floor(np.log2(width)).astype(np.int64)  # [N]
    out = np.empty_like(values)
    hours = np.arange(h)
    for j in np.unique(level_of):
        rows = np.nonzero(level_of == j)[0]
        block = levels[j][rows]                                                  # [n_j, H]
        second = np.minimum(hours[None, :] + width[rows, None] - 2 ** j, h - 1)  # [n_j, H]
        out[rows] = np.maximum(block, np.take_along_axis(block, second, axis=1))
    return out


@dataclass(frozen=True, slots=True)
class ScheduleCore:
    """The schedule for N plans as arrays."""

    capacity: np.ndarray        # [N, H] capacity in place at each hour
    need: np.ndarray            # [N, H] p90 / threshold, rounded up to whole units, within the bounds
    uncovered: np.ndarray       # [N, H] bool: max_capacity cannot keep the p90 at or under the threshold
    changed: np.ndarray         # [N, H] bool: capacity differs from the hour before (hour 0: from current)
    static_capacity: np.ndarray  # [N] the static peak plan: max(need)


def _unit(pb: PlanBatch) -> np.ndarray:
    return np.where(np.isnan(pb.unit_capacity), 1.0, pb.unit_capacity)[:, None]   # [N, 1]


def schedule_core(fb: ForecastBatch, pb: PlanBatch) -> ScheduleCore:
    """Greedy forward pass over hours, vectorised over plans (see the README for the rules)."""
    unit = _unit(pb)
    raw_need = fb.p90 / pb.scaling_threshold[:, None]                          # [N, H]
    need = np.maximum(ceil_capacity(raw_need / unit), 1.0) * unit              # whole units, at least one
    low = np.where(np.isnan(pb.min_capacity), 0.0, pb.min_capacity)[:, None]
    high = np.where(np.isnan(pb.max_capacity), np.inf, pb.max_capacity)[:, None]
    uncovered = raw_need > high
    need = np.clip(need, low, high)

    lead, hold = pb.lead_time_hours, pb.min_hold_hours
    required = window_max(need, lead + 1)           # [N, H] in place lead hours before it is needed
    target = window_max(need, lead + hold)          # [N, H] what a change sets: enough for the hold window
    capacity = np.empty_like(need)
    held = pb.current_capacity.copy()               # [N]
    last_change = np.full(len(pb), _NEVER)
    above_max = held > high[:, 0]
    for k in range(fb.hours):
        up = required[:, k] > held
        may_go_down = (k - last_change >= hold) | above_max
        down = ~up & may_go_down & (target[:, k] < held)
        move = up | down
        held = np.where(move, target[:, k], held)
        last_change = np.where(move, k, last_change)
        above_max = held > high[:, 0]
        capacity[:, k] = held
    previous = np.concatenate([pb.current_capacity[:, None], capacity[:, :-1]], axis=1)
    return ScheduleCore(capacity=capacity, need=need, uncovered=uncovered, changed=capacity != previous,
                        static_capacity=need.max(axis=1))


def schedule_dicts(fb: ForecastBatch, pb: PlanBatch, core: ScheduleCore) -> list[dict]:
    """One scaling_schedule dict per plan; the hourly list starts at `start`, one value per hour."""
    n, hours = core.capacity.shape
    capacity_hours = core.capacity.sum(axis=1)
    static_hours = core.static_capacity * hours
    saving_pct = (1.0 - capacity_hours / static_hours) * 100.0
    hourly = np.round(core.capacity, LOAD_DECIMALS).tolist()
    hourly_instances = instances(core.capacity, pb).astype(np.int64)
    rate = pb.unit_cost_per_hour[:, None]
    cost = (hourly_instances * rate).sum(axis=1)                              # NaN without a unit cost
    static_cost = instances(core.static_capacity, pb) * pb.unit_cost_per_hour * hours
    unit_rows, cost_rows = has_units(pb), has_cost(pb)

    change_rows, change_cols = np.nonzero(core.changed)
    change_stamps = np.datetime_as_string(
        fb.start[change_rows] + change_cols.astype("timedelta64[h]"), unit="s").tolist()
    change_caps = capacity_list(core.capacity[change_rows, change_cols])
    previous = np.where(change_cols > 0, core.capacity[change_rows, np.maximum(change_cols - 1, 0)],
                        pb.current_capacity[change_rows])
    change_dirs = np.where(core.capacity[change_rows, change_cols] > previous, "up", "down").tolist()
    change_bounds = np.concatenate([[0], np.cumsum(core.changed.sum(axis=1))]).tolist()

    gap_rows, gap_cols = np.nonzero(core.uncovered)
    gap_stamps = np.datetime_as_string(fb.start[gap_rows] + gap_cols.astype("timedelta64[h]"), unit="s").tolist()
    gap_bounds = np.concatenate([[0], np.cumsum(core.uncovered.sum(axis=1))]).tolist()

    starts = np.datetime_as_string(fb.start, unit="s").tolist()
    columns = zip(starts, hourly, pb.lead_time_hours.tolist(), pb.min_hold_hours.tolist(),
                  capacity_list(pb.min_capacity), capacity_list(pb.max_capacity),
                  round_list(capacity_hours, LOAD_DECIMALS), capacity_list(core.static_capacity),
                  round_list(static_hours, LOAD_DECIMALS), round_list(static_hours - capacity_hours, LOAD_DECIMALS),
                  round_list(saving_pct, PERCENT_DECIMALS))
    out = []
    for i, (start, caps, lead, hold, low, high, cap_hours, static, static_h, saving_h, saving_p) in enumerate(columns):
        a, b = change_bounds[i], change_bounds[i + 1]
        g0, g1 = gap_bounds[i], gap_bounds[i + 1]
        item = {
            "start": start, "hours": hours, "lead_time_hours": lead, "min_hold_hours": hold,
            "min_capacity": low, "max_capacity": high, "capacity": caps,
            "changes": [{"timestamp": s, "capacity": c, "direction": d}
                        for s, c, d in zip(change_stamps[a:b], change_caps[a:b], change_dirs[a:b])],
            "scaling_actions": b - a, "capacity_hours": cap_hours, "static_capacity": static,
            "static_capacity_hours": static_h, "saving_capacity_hours": saving_h, "saving_percent": saving_p,
            "uncovered_hours": g1 - g0, "uncovered_timestamps": gap_stamps[g0:g1],
        }
        if unit_rows[i]:
            item["instances"] = hourly_instances[i].tolist()
        if cost_rows[i]:
            item["cost"] = round(float(cost[i]), LOAD_DECIMALS)
            item["static_cost"] = round(float(static_cost[i]), LOAD_DECIMALS)
            item["saving"] = round(float(static_cost[i] - cost[i]), LOAD_DECIMALS)
        out.append(item)
    return out
