"""Time the planning engine on 10,000 plans x 168 hours: vectorised core and per-plan materialisation apart.

Run pinned to one core, as the target is stated:  taskset -c 0 .venv/bin/python benchmarks/bench_planning.py
Prints figures and the ratio to the 0.5 s target; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from planning import ForecastBatch, PlanBatch, build_portfolio, to_jsonable
from planning.analysis import analysis_arrays, materialise_analyses
from planning.recommendation import materialise_recommendations
from planning.sizing import recommend_core

TARGET_S = 0.5


def synthetic_batch(n: int, hours: int, seed: int = 0) -> tuple[ForecastBatch, PlanBatch]:
    """Daily-shaped forecasts with noise and varied plans (a quarter with units and cost, some bounds)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(200, 20_000, size=(n, 1))
    phase = rng.uniform(0, 24, size=(n, 1))
    k = np.arange(hours)[None, :]
    daily = 1 + 0.6 * np.sin(2 * np.pi * (k + phase) / 24)
    median = base * daily * rng.lognormal(0, 0.05, size=(n, hours))          # [N, H]
    spread = rng.uniform(0.05, 0.3, size=(n, 1))
    start = np.datetime64("2024-01-15T11", "h") + rng.integers(0, 24 * 7, size=n).astype("timedelta64[h]")
    fb = ForecastBatch(start=start, median=median, p10=median * (1 - spread), p90=median * (1 + spread))
    nan = np.full(n, np.nan)
    with_units = rng.random(n) < 0.25
    pb = PlanBatch(
        current_capacity=base[:, 0] * rng.uniform(0.8, 3.0, size=n),
        scaling_threshold=rng.choice([0.7, 0.8, 0.9], size=n),
        quantile=np.where(rng.random(n) < 0.8, 0.9, 0.5), headroom=np.full(n, 0.10),
        hysteresis=np.full(n, 0.20),
        unit_capacity=np.where(with_units, base[:, 0] / 10, nan),
        unit_cost_per_hour=np.where(with_units, 0.25, nan),
        lead_time_hours=rng.integers(0, 4, size=n), min_hold_hours=rng.integers(1, 7, size=n),
        min_capacity=np.where(rng.random(n) < 0.2, base[:, 0] * 0.5, nan),
        max_capacity=np.where(rng.random(n) < 0.2, base[:, 0] * 2.5, nan),
    )
    return fb, pb


def best_of(repeats: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    fb, pb = synthetic_batch(args.plans, args.hours)
    print(f"planning benchmark: {args.plans} plans x {args.hours} hours, best of {args.repeats}, "
          f"numpy {np.__version__}, CPU affinity {affinity}")
    if affinity != "n/a" and len(affinity) > 1:
        print("  note: not pinned to one core; run with `taskset -c 0` for the one-core figure")

    rows = []
    t_rec_core, core = best_of(args.repeats, lambda: recommend_core(fb, pb))
    t_rec_obj, recs = best_of(args.repeats, lambda: materialise_recommendations(fb, pb, core))
    t_core, arrays = best_of(args.repeats, lambda: analysis_arrays(fb, pb))
    t_obj, analyses = best_of(args.repeats, lambda: materialise_analyses(fb, pb, arrays))
    t_port, _ = best_of(args.repeats, lambda: build_portfolio([str(i) for i in range(len(analyses))], analyses))
    t_json, payload = best_of(1, lambda: to_jsonable(analyses))
    t_dumps, text = best_of(1, lambda: json.dumps(payload))
    rows += [
        ("recommend: vectorised core", t_rec_core),
        ("recommend: per-plan objects", t_rec_obj),
        ("recommend: total", t_rec_core + t_rec_obj),
        ("analyze: vectorised core", t_core),
        ("analyze: per-plan objects", t_obj),
        ("analyze: total", t_core + t_obj),
        ("portfolio from analyses", t_port),
        ("to_jsonable(analyses)", t_json),
        ("json.dumps (stdlib, for scale)", t_dumps),
    ]
    for name, seconds in rows:
        print(f"  {name:34s} {seconds * 1000:9.1f} ms   ratio to {TARGET_S} s target: {seconds / TARGET_S:5.2f}")
    print(f"  analyses JSON size: {len(text) / 1e6:.1f} MB for {len(analyses)} plans")
    met = t_core + t_obj <= TARGET_S
    print(f"  target (whole analysis <= {TARGET_S} s incl. per-plan objects): {'MET' if met else 'NOT MET'} "
          f"({(t_core + t_obj):.3f} s); vectorised core alone: {t_core:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
