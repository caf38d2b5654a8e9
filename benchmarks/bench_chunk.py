"""Time a batch chunk's worker path (workers.batch_runner.analyse_chunk) on 10,000 plans x 168 hours.

A stand-in forecaster answers instantly, so the figure is what the worker adds around the network pass:
reading the plans, planning, the per-plan results and their checks. Run pinned to one core:
    taskset -c 0 .venv/bin/python benchmarks/bench_chunk.py
Prints best-of wall and CPU times; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from tests.stand_in_forecaster import StandInForecaster
from workers.batch_runner import analyse_chunk


def plan_entries(n: int, hours: int, seed: int = 0) -> list[dict]:
    """Batch plans as the API stores them: varied thresholds, a quarter with units and cost."""
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(n):
        load = float(rng.uniform(200, 20_000))
        plan = {"current_capacity": round(load * float(rng.uniform(0.8, 3.0)), 2),
                "scaling_threshold": float(rng.choice([0.7, 0.8, 0.9]))}
        if i % 4 == 0:
            plan.update(unit_capacity=round(load / 10, 2), unit_cost_per_hour=0.25)
        request = {"hours_ahead": hours, "timestamp": "2024-01-15T10:00:00", "history": None,
                   "current_load": round(load, 2), "gaps_filled": 0, "plan": plan}
        entries.append({"id": f"p{i}", "request": request})
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--poisoned", type=int, default=0,
                        help="plans whose current capacity is 5e-324: planning's pass raises and is split")
    args = parser.parse_args()
    entries, forecaster = plan_entries(args.plans, args.hours), StandInForecaster()
    for entry in entries[::max(1, args.plans // args.poisoned)][:args.poisoned] if args.poisoned else []:
        entry["request"]["plan"]["current_capacity"] = 5e-324
    walls, cpus = [], []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        results = analyse_chunk(forecaster, entries, 0)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    failed = sum(1 for r in results.values() if not r["success"])
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    print(f"analyse_chunk: {args.plans} plans x {args.hours} hours ({args.poisoned} poisoned), best of "
          f"{args.repeats}, CPU affinity {affinity}")
    print(f"  wall {min(walls) * 1000:.0f} ms (median {sorted(walls)[len(walls) // 2] * 1000:.0f} ms), "
          f"CPU {min(cpus) * 1000:.0f} ms; {failed} plans failed")
    if hasattr(os, "getloadavg"):
        print(f"  load average while measuring: {os.getloadavg()[0]:.2f} (other processes share this machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
