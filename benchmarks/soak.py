"""Soak test: a bounded mixed load from two tenants for --minutes (10), with a worker SIGKILLed every 90 s
(and started again) and one Redis restart; then the report (benchmarks/soak_report.py) and its targets.

Starts its own stack on free loopback ports (benchmarks/soak_stack.py: Redis with an AOF, AUTH=keys with
one key per tenant, the API under gunicorn, one interactive and one bulk worker process) and stops it.
Each client thread sends a request about every 1/--rate s: sync forecasts and plans, async analyses,
batches of 20 plans, polls and cancels of its own tenant's jobs.
Usage: python benchmarks/soak.py [--minutes 10] [--clients 4] [--rate 3] [--seed 7]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.soak_report import FINAL, Recorder, print_report  # noqa: E402
from benchmarks.soak_stack import TENANTS, SoakStack, start_soak_stack  # noqa: E402
from tests.live_stack import http  # noqa: E402

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
PLAN = {**FORECAST, "current_capacity": 5000}
ANALYSIS = {**PLAN, "hours_ahead": 168}
BATCH = {"plans": [{**PLAN, "id": f"plan-{i}", "current_load": 900 + 10 * i} for i in range(20)]}
OPS = ("forecast", "plan", "forecast", "plan", "analysis", "batch", "poll", "poll", "poll", "cancel")
WORKER_KILL_EVERY_S = 90
REDIS_DOWN_S = 5
RECOVERY_GRACE_S = 5


class Client:
    """One tenant's client thread: a seeded choice of operation about every 1/rate seconds."""

    def __init__(self, stack: SoakStack, rec: Recorder, tenant: str, key: str, seed: int, t0: float):
        self.stack, self.rec, self.tenant, self.t0 = stack, rec, tenant, t0
        self.auth = {"Authorization": f"Bearer {key}"}
        self.rng = random.Random(seed)

    def send(self, op: str, method: str, path: str, body=None, headers=None):
        started = time.monotonic()
        try:
            reply = http(method, self.stack.base_url + path, body, {**self.auth, **(headers or {})}, timeout=60)
        except OSError:
            reply = None
        self.rec.request(started - self.t0, op, reply.status if reply else 0, time.monotonic() - started)
        return reply

    def submit(self, op: str, path: str, body: dict, plans: int = 0, headers=None) -> None:
        reply = self.send(op, "POST", path, body, headers)
        if reply is not None and reply.status == 202:
            self.rec.job(reply.json()["job_id"], self.tenant, op, plans)

    def step(self) -> None:
        op = self.rng.choice(OPS)
        mine = self.rec.own_jobs(self.tenant)
        if op == "forecast":
            self.submit(op, "/api/forecast", FORECAST)
        elif op == "plan":
            self.submit(op, "/api/capacity/recommendations", PLAN)
        elif op == "analysis":
            self.submit(op, "/api/capacity/analyze", ANALYSIS, headers={"Prefer": "respond-async"})
        elif op == "batch":
            self.submit(op, "/api/capacity/batch", BATCH, plans=len(BATCH["plans"]))
        elif mine:
            job_id = self.rng.choice(mine[-5:] if op == "cancel" else mine)
            self.send(op, "DELETE" if op == "cancel" else "GET", f"/api/jobs/{job_id}")

    def run(self, stop: threading.Event, rate: float) -> None:
        while not stop.is_set():
            started = time.monotonic()
            self.step()
            stop.wait(max(0.0, 1 / rate - (time.monotonic() - started)))


def fault_schedule(seconds: float) -> list[tuple[float, str]]:
    """A worker SIGKILL every 90 s (interactive, then bulk, in turn) and Redis restarted once, between kills."""
    kills = [(at, f"worker{n % 2}") for n, at in enumerate(range(WORKER_KILL_EVERY_S, int(seconds),
                                                                 WORKER_KILL_EVERY_S))]
    redis_at = WORKER_KILL_EVERY_S / 2 + WORKER_KILL_EVERY_S * max(0, int((seconds / 2 - 45) // 90))
    return sorted(kills + [(redis_at if redis_at < seconds else seconds / 2, "redis")])


def inject(stack: SoakStack, what: str) -> None:
    if what == "redis":
        stack.stop_redis()
        time.sleep(REDIS_DOWN_S)
        stack.start_redis()
    else:
        worker = int(what.removeprefix("worker"))
        stack.kill_worker(worker)         # SIGKILL to it and its pool, then as a supervisor would: again
        stack.start_worker(worker)
    stack.wait_healthy(timeout=120, live=stack.workers)


def run_faults(stack: SoakStack, rec: Recorder, seconds: float, t0: float, stop: threading.Event) -> None:
    for at, what in fault_schedule(seconds):
        if stop.wait(max(0.0, t0 + at - time.monotonic())):
            return
        started = time.monotonic() - t0
        inject(stack, what)
        with rec.lock:
            rec.faults.append(("redis" if what == "redis" else "worker", started,
                               time.monotonic() - t0 + RECOVERY_GRACE_S))


def sample(stack: SoakStack, rec: Recorder, t0: float, stop: threading.Event) -> None:
    """Queue depth every 5 s, memory every 30 s (the first after a minute, once the model is warm)."""
    tick = 0
    while not stop.wait(5.0):
        tick += 1
        depth = stack.queue_depth()
        if depth is not None:
            rec.depth.append((time.monotonic() - t0, depth))
        if tick % 6 == 0 and tick >= 12:
            rec.memory.append((time.monotonic() - t0, stack.memory_mb()))


def settle(stack: SoakStack, rec: Recorder, keys: dict[str, str], timeout_s: float = 180.0) -> None:
    """Poll every job until it is final or the time is up; count the plans each batch gives back."""
    deadline = time.monotonic() + timeout_s
    for job_id, job in rec.jobs.items():
        auth = {"Authorization": f"Bearer {keys[job.tenant]}"}
        while job.status not in FINAL and time.monotonic() < deadline:
            reply = http("GET", f"{stack.base_url}/api/jobs/{job_id}", headers=auth, timeout=30)
            job.status = reply.json().get("status", f"http {reply.status}") if reply.status == 200 else \
                f"http {reply.status}"
            if job.status not in FINAL:
                time.sleep(0.5)
        if job.kind == "batch" and job.status == "succeeded":
            page = http("GET", f"{stack.base_url}/api/jobs/{job_id}/results?limit=1000", headers=auth).json()
            job.plans_back = sum(1 for item in page["results"] if item)


def soak(stack: SoakStack, keys: dict[str, str], args) -> Recorder:
    rec, stop, seconds = Recorder(), threading.Event(), args.minutes * 60
    t0 = time.monotonic()
    clients = [Client(stack, rec, TENANTS[i % 2], keys[TENANTS[i % 2]], args.seed + i, t0)
               for i in range(args.clients)]
    threads = [threading.Thread(target=c.run, args=(stop, args.rate), daemon=True) for c in clients]
    threads += [threading.Thread(target=run_faults, args=(stack, rec, seconds, t0, stop), daemon=True),
                threading.Thread(target=sample, args=(stack, rec, t0, stop), daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    rec.memory.append((time.monotonic() - t0, stack.memory_mb()))
    settle(stack, rec, keys)
    return rec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (0.5 is fine)")
    parser.add_argument("--clients", type=int, default=4, help="client threads, tenants in turn (default 4)")
    parser.add_argument("--rate", type=float, default=3.0, help="requests per second per client (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="capplan-soak-keys-") as folder:
        stack, keys = start_soak_stack(Path(folder) / "capplan.toml")
        try:
            rec = soak(stack, keys, args)
        finally:
            stack.close()
    print_report(rec, args.minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
