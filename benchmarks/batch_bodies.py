"""Batches of real histories: 10,000 plans x 672 hours sent as inline JSON, gzip JSON, CSV and gzip CSV.

Starts a real Redis, --workers Celery worker processes (one per core: the target machine has 2) and the API
under gunicorn, as deployed (tests/live_stack.py). For each body: the time to submit (the POST until its
202), the time to finish (the POST until the job succeeded), and the peak RSS of the worker process trees,
sampled every 50 ms, beside the targets; and the API's peak RSS (the plans are never all objects there).
Inline JSON is today's path: under the 2 MB MAX_CONTENT_LENGTH it held at most as many plans as
`largest_inline` finds, so it is timed at that size and, with the limit raised (the batch endpoint now reads up to MAX_BATCH_BYTES), at the full size. With --today-src (a copy of
the code before batch bodies, e.g. `git archive main | tar -x -C DIR`), inline JSON is also sent to that
code's API, on the same Redis and workers, with its MAX_CONTENT_LENGTH raised to fit. Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/batch_bodies.py [--plans 10000] [--hours 672] [--workers 2] [--today-src DIR]
"""
from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.live_stack import LiveStack, http  # noqa: E402
from tests.redis_server import free_port  # noqa: E402

STAMP = "2024-01-15T10:00:00"
TARGETS = {"submit_s": 5.0, "finish_s": 60.0, "rss_mb": 1536.0}
OLD_LIMIT = 2 * 1024 * 1024
PATH = "/api/capacity/batch"


def make_plans(n: int, hours: int, seed: int = 0) -> list[dict]:
    """Daily and weekly load shapes with noise, two decimals, as exported from monitoring."""
    rng = np.random.default_rng(seed)
    h = np.arange(hours)
    plans = []
    for i in range(n):
        base = rng.uniform(200, 20_000)
        load = base * (1 + 0.3 * np.sin(2 * np.pi * (h % 24) / 24) - 0.15 * (h // 24 % 7 >= 5))
        load = np.round(load * rng.normal(1, 0.03, hours), 2).clip(0)
        plans.append({"id": f"p{i}", "current_capacity": round(float(load.max()) * 1.3, 2), "hours_ahead": 168,
                      "timestamp": STAMP, "history": load.tolist()})
    return plans


def as_csv(plans: list[dict]) -> bytes:
    lines = ["id,current_capacity,hours_ahead,history,last_timestamp"]
    lines += [f"{p['id']},{p['current_capacity']},{p['hours_ahead']},{' '.join(map(repr, p['history']))},"
              f"{p['timestamp']}" for p in plans]
    return ("\n".join(lines) + "\n").encode()


def largest_inline(plans: list[dict]) -> int:
    """How many of these plans one JSON body under the old 2 MB limit held."""
    per_plan = len(json.dumps({"plans": plans[:100]})) / 100
    n = min(len(plans), int(OLD_LIMIT / per_plan))
    while len(json.dumps({"plans": plans[:n]})) > OLD_LIMIT:
        n -= 1
    return n


class RssPeak:
    """The peak RSS of each worker's process tree (main process and its pool), sampled every 50 ms."""

    def __init__(self, pids: list[int]):
        self.roots = [psutil.Process(pid) for pid in pids]
        self.peaks = [0] * len(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            for i, root in enumerate(self.roots):
                try:
                    procs = [root, *root.children(recursive=True)]
                    self.peaks[i] = max(self.peaks[i], sum(p.memory_info().rss for p in procs))
                except psutil.NoSuchProcess:
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def serve_today(stack: LiveStack, src: str, limit: int) -> tuple[subprocess.Popen, str]:
    """The API of the code in ``src`` under gunicorn, on the stack's Redis (and so its workers)."""
    port = free_port()
    env = {**stack.worker_env(), "PYTHONPATH": src, "HOST": "127.0.0.1", "PORT": str(port),
           "MAX_CONTENT_LENGTH": str(limit), "GUNICORN_THREADS": "8", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app"],
                            env=env, cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if http("GET", url + "/api/health", timeout=5).status in (200, 503):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"the API of {src} did not start")


def run_one(stack: LiveStack, data: bytes, headers: dict, api_pid: int, base_url: str | None = None) -> dict:
    """POST the body, then poll the job: submit and finish times, peak RSS of the workers and of the API."""
    pids = [proc.pid for proc in stack.worker_procs]
    base_url = base_url or stack.base_url
    with RssPeak(pids) as rss, RssPeak([api_pid]) as api_rss:
        started = time.perf_counter()
        reply = http("POST", base_url + PATH, data, headers=headers, timeout=600)
        submitted = time.perf_counter() - started
        if reply.status != 202:
            raise SystemExit(f"POST answered {reply.status}: {reply.body[:300]!r}")
        job_id = reply.json()["job_id"]
        while True:
            job = http("GET", f"{base_url}/api/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.2)
        finished = time.perf_counter() - started
    result = job.get("result") or {}
    return {"submit_s": submitted, "finish_s": finished, "rss_mb": max(rss.peaks) / 2**20,
            "api_mb": api_rss.peaks[0] / 2**20, "status": job["status"],
            "failed": result.get("failed"), "plans": result.get("plans")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=672)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--today-src", help="a copy of the code before batch bodies, to time inline JSON on it")
    args = parser.parse_args()

    plans = make_plans(args.plans, args.hours)
    inline = json.dumps({"plans": plans}).encode()
    small = largest_inline(plans)
    csv_body = as_csv(plans)
    bodies = [
        (f"inline JSON, {small:,} plans (the most 2 MB held)", json.dumps({"plans": plans[:small]}).encode(),
         {"Content-Type": "application/json"}),
        (f"inline JSON, {args.plans:,} plans (limit raised)", inline, {"Content-Type": "application/json"}),
        (f"gzip JSON, {args.plans:,} plans", gzip.compress(inline, 6),
         {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
        (f"CSV, {args.plans:,} plans", csv_body, {"Content-Type": "text/csv"}),
        (f"gzip CSV, {args.plans:,} plans", gzip.compress(csv_body, 6),
         {"Content-Type": "text/csv", "Content-Encoding": "gzip"}),
    ]
    del plans
    print(f"{args.plans:,} plans x {args.hours} h: inline JSON {len(inline) / 1e6:.1f} MB, gzip JSON "
          f"{len(bodies[2][1]) / 1e6:.1f} MB, CSV {len(csv_body) / 1e6:.1f} MB, gzip CSV "
          f"{len(bodies[4][1]) / 1e6:.1f} MB; {args.workers} worker processes, {psutil.cpu_count()} cores here, "
          f"load average {os.getloadavg()[0]:.1f}")
    stack = LiveStack(workers=args.workers, gunicorn_threads=8, settings={"LOG_LEVEL": "WARNING"})
    rows, today_api = [], None
    try:
        stack.start()
        runs = [(name, data, headers, stack.api_proc.pid, None) for name, data, headers in bodies]
        if args.today_src:
            today_api, url = serve_today(stack, os.path.abspath(args.today_src), 2 * len(inline))
            runs[2:2] = [(f"today's code: {name}", data, headers, today_api.pid, url)
                         for name, data, headers in bodies[:2]]
        for name, data, headers, api_pid, url in runs:
            figures = run_one(stack, data, headers, api_pid, url)
            rows.append((name, len(data), figures))
            print(f"  {name}: {figures['status']}, {figures['plans']} plans ({figures['failed']} failed)", flush=True)
    finally:
        if today_api is not None:
            today_api.terminate()
            today_api.wait(timeout=10)
        stack.close()
    print(f"\n{'body':<60} {'MB sent':>8} {'submit s':>9} {'finish s':>9} {'worker RSS MB':>14} {'API RSS MB':>11}")
    for name, size, f in rows:
        print(f"{name:<60} {size / 1e6:>8.1f} {f['submit_s']:>9.2f} {f['finish_s']:>9.1f} {f['rss_mb']:>14.0f}"
              f" {f['api_mb']:>11.0f}")
    print(f"{'target':<60} {'':>8} {TARGETS['submit_s']:>9.2f} {TARGETS['finish_s']:>9.1f} {TARGETS['rss_mb']:>14.0f}")
    today = rows[3 if args.today_src else 1][2]
    print(f"\nratios to target (< 1 meets it), and to today's path (inline JSON, full size"
          f"{', on today' + chr(39) + 's code' if args.today_src else ''}):")
    for name, _, f in rows[1:]:
        print(f"  {name}: submit {f['submit_s'] / TARGETS['submit_s']:.2f} of target, "
              f"{f['submit_s'] / today['submit_s']:.2f}x inline; finish {f['finish_s'] / TARGETS['finish_s']:.2f} of "
              f"target, {f['finish_s'] / today['finish_s']:.2f}x inline; RSS {f['rss_mb'] / TARGETS['rss_mb']:.2f} "
              f"of target, {f['rss_mb'] / today['rss_mb']:.2f}x inline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
