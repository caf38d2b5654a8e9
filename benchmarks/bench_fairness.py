"""Sync forecast and health latency during a flood of async analyses, beside the same without a flood.

Starts its own stack on free loopback ports (tests/live_stack.py: Redis, one worker process for the
interactive queue, one for analyses and batches, the API under gunicorn), prints figures, stops it.
Then the case of requests that wait: the interactive worker frozen, 40 synchronous forecasts at once.
Bounded loops only, loopback only.  Usage: python benchmarks/bench_fairness.py [--flood 1000] [--samples 40]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402

from jobs.queues import FORECAST_QUEUE, WORKER_QUEUES  # noqa: E402
from tests.live_stack import LiveStack, http  # noqa: E402

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
ANALYSIS = {**FORECAST, "hours_ahead": 168, "current_capacity": 5000}


def timed(method: str, url: str, body=None, headers=None) -> tuple[int, float]:
    started = time.perf_counter()
    reply = http(method, url, body, headers, timeout=60)
    return reply.status, time.perf_counter() - started


def probe(base: str, keep_going, limit: int) -> dict[str, list]:
    """Alternate a sync forecast and a health check while ``keep_going()``, at most ``limit`` pairs."""
    out: dict[str, list] = {"forecast": [], "statuses": [], "health": []}
    while keep_going() and len(out["forecast"]) < limit:
        status, took = timed("POST", base + "/api/forecast", FORECAST)
        out["forecast"].append(took)
        out["statuses"].append(status)
        out["health"].append(timed("GET", base + "/api/health")[1])
    return out


def flood(base: str, count: int, clients: int) -> float:
    """``count`` analyses with Prefer: respond-async from ``clients`` threads; the seconds it took."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda _: http("POST", base + "/api/capacity/analyze", ANALYSIS,
                                     {"Prefer": "respond-async"}, timeout=60), range(count)))
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(values: list[float]) -> str:
    return f"p50 {pct(values, .5) * 1000:.1f} ms, p99 {pct(values, .99) * 1000:.1f} ms (n={len(values)})"


def flooded(stack: LiveStack, args) -> tuple[dict, float, int]:
    """Probe while the flood is sent and until its backlog is gone (or the probes run out)."""
    queue = redis.Redis.from_url(stack.redis_url)
    took: list[float] = []
    sender = threading.Thread(target=lambda: took.append(flood(stack.base_url, args.flood, args.clients)))
    sender.start()
    peak = [0]

    def keep_going() -> bool:
        peak[0] = max(peak[0], queue.llen(FORECAST_QUEUE))
        return sender.is_alive() or peak[0] == 0 or queue.llen(FORECAST_QUEUE) > 0

    figures = probe(stack.base_url, keep_going, args.samples * 20)
    sender.join()
    return figures, took[0], peak[0]


def waiting(stack: LiveStack, requests: int) -> tuple[list[float], int]:
    """Health while ``requests`` sync forecasts wait on a frozen interactive worker; how many got 202 at once."""
    stack.freeze_worker(0)
    try:
        with ThreadPoolExecutor(requests) as pool:
            sent = [pool.submit(timed, "POST", stack.base_url + "/api/forecast", FORECAST) for _ in range(requests)]
            time.sleep(1.0)
            health = [timed("GET", stack.base_url + "/api/health")[1] for _ in range(20)]
            at_once = sum(1 for f in sent if f.done() and f.result()[0] == 202)
            stack.freeze_worker(0, frozen=False)
            [f.result() for f in sent]
    finally:
        stack.freeze_worker(0, frozen=False)
    return health, at_once


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=1000, help="async analyses sent (default 1000)")
    parser.add_argument("--clients", type=int, default=16, help="threads sending them (default 16)")
    parser.add_argument("--samples", type=int, default=40, help="forecast + health pairs without the flood")
    parser.add_argument("--threads", type=int, default=32, help="gunicorn threads (default 32)")
    args = parser.parse_args()
    stack = LiveStack(workers=2, queues=tuple(",".join(WORKER_QUEUES[k]) for k in ("interactive", "bulk")),
                      gunicorn_threads=args.threads, settings={"LOG_LEVEL": "WARNING"}).start()
    try:
        probe(stack.base_url, lambda: True, 20)                                   # warm-up
        quiet = probe(stack.base_url, lambda: True, args.samples)
        loud, sent_s, peak = flooded(stack, args)
        health_waiting, at_once = waiting(stack, 40)
    finally:
        stack.close()
    waiting_cap = int(os.environ.get("SYNC_MAX_WAITING", 24))
    print(f"capplan fairness benchmark ({os.cpu_count()} CPUs, gunicorn {args.threads} threads, SYNC_MAX_WAITING "
          f"{waiting_cap}, 1 interactive + 1 bulk worker process, loopback)")
    print(f"no flood:   sync forecast 24 h {line(quiet['forecast'])}; health {line(quiet['health'])}")
    print(f"flood of {args.flood} analyses (Prefer: respond-async) sent in {sent_s:.1f} s by {args.clients} "
          f"clients, queue depth up to {peak}:")
    print(f"            sync forecast 24 h {line(loud['forecast'])}, "
          f"{loud['statuses'].count(200)} of {len(loud['statuses'])} answered 200; health {line(loud['health'])}")
    print(f"40 sync forecasts waiting on a frozen interactive worker: {at_once} answered 202 at once; "
          f"health {line(health_waiting)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
