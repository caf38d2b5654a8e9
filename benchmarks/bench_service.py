"""Service speed through HTTP -> API (gunicorn) -> Redis -> Celery worker, on this machine's cores.

Starts its own Redis (free port), one worker and the API, measures, prints figures and ratios against the
targets and the original service's README (50-100 ms per forecast, 100-200 requests/s), stops everything.
Bounded loops only, loopback only.  Usage: python benchmarks/bench_service.py [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from capplan.embedded_redis import redis_answers, redis_server_binary  # noqa: E402

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
ANALYSIS = {"hours_ahead": 168, "current_capacity": 5000, "current_load": 1000, "scaling_threshold": 0.8}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, concurrency: int, threads: int, log_level: str):
        self.redis_port, self.api_port = free_port(), free_port()
        self.tmp = tempfile.mkdtemp(prefix="capplan-bench-")
        self.env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0", "LOG_LEVEL": log_level,
                    "PYTHONPATH": str(REPO), "BATCH_CHUNK_SIZE": os.environ.get("BATCH_CHUNK_SIZE", "250"),
                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),   # as `capplan run` does
                    "HOST": "127.0.0.1", "AUTH": "open"}   # the service itself; keys: docs/operations.md
        self.procs: list[subprocess.Popen] = []
        self.concurrency, self.threads = concurrency, threads

    def _spawn(self, args, name):
        log = open(Path(self.tmp) / f"{name}.log", "wb")
        proc = subprocess.Popen(args, env=self.env, cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)

    def start(self):
        py = sys.executable
        self._spawn([redis_server_binary(), "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", self.tmp], "redis")
        while not redis_answers(self.env["REDIS_URL"]):
            time.sleep(0.05)
        self._spawn([py, "-m", "celery", "-A", "workers.worker", "worker", "-Q", "interactive,forecast,batch",
                     "-c", str(self.concurrency), "--without-gossip", "--without-mingle", "-l", "WARNING"], "worker")
        self._spawn([py, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app",
                     "-b", f"127.0.0.1:{self.api_port}", "--threads", str(self.threads)], "api")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=2) as r:
                    if json.loads(r.read())["model_loaded"]:
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit("bench: the stack did not become healthy; logs in " + self.tmp)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each part of the stack, children included."""
        import psutil

        out = {}
        for name, proc in zip(("redis", "worker", "api"), self.procs):
            total = 0.0
            try:
                root = psutil.Process(proc.pid)
                for p in [root, *root.children(recursive=True)]:
                    t = p.cpu_times()
                    total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
            out[name] = total
        return out

    def stop(self):
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _request_bytes(port: int, path: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def _one(reader, writer, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def _load(port: int, request: bytes, concurrency: int, total: int) -> tuple[list[float], int, float]:
    """``total`` requests over ``concurrency`` keep-alive connections: latencies, errors, wall time."""
    latencies: list[float] = []
    errors = 0
    remaining = [total]

    async def connection():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            status = await _one(reader, writer, request)
            latencies.append(time.perf_counter() - started)
            errors += status != 200
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def _post(base: str, path: str, body: dict, headers: dict | None = None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read())


def _until_done(base: str, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/jobs/{job_id}", timeout=10) as r:
            job = json.loads(r.read())
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.005)
    raise SystemExit(f"bench: job {job_id} did not finish")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--log-level", default="INFO", help="INFO (the default everywhere) logs every request and job")
    args = parser.parse_args()
    n_seq, n_conc = (100, 1000) if args.quick else (400, 4000)
    stack = Stack(args.worker_concurrency, args.threads, args.log_level).start()
    try:
        req = _request_bytes(stack.api_port, "/api/forecast", FORECAST)
        asyncio.run(_load(stack.api_port, req, 4, 200))                      # warm-up
        seq, seq_err, _ = asyncio.run(_load(stack.api_port, req, 1, n_seq))
        cpu_before, client_before = stack.cpu_seconds(), time.process_time()
        conc, conc_err, wall = asyncio.run(_load(stack.api_port, req, 16, n_conc))
        cpu_after, client_cpu = stack.cpu_seconds(), time.process_time() - client_before
        cpu_ms = {k: 1000 * (cpu_after[k] - cpu_before[k]) / len(conc) for k in cpu_after}
        cpu_ms["client"] = 1000 * client_cpu / len(conc)
        rps = len(conc) / wall
        analysis = []
        for _ in range(10):
            started = time.perf_counter()
            status, body = _post(stack.base, "/api/capacity/analyze", ANALYSIS, {"Prefer": "respond-async"})
            job = _until_done(stack.base, body["job_id"])
            assert job["status"] == "succeeded", job
            analysis.append(time.perf_counter() - started)
        plans = [{"id": f"p{i}", "current_capacity": 5000 + i, "current_load": 800 + i % 400, "hours_ahead": 168}
                 for i in range(1000)]
        batches = []
        for _ in range(3):
            started = time.perf_counter()
            status, body = _post(stack.base, "/api/capacity/batch", {"plans": plans})
            job = _until_done(stack.base, body["job_id"])
            assert job["status"] == "succeeded" and job["result"]["succeeded"] == 1000, job
            batches.append(time.perf_counter() - started)
    finally:
        stack.stop()

    p50_1 = statistics.median(seq) * 1000
    print(f"capplan service benchmark ({os.cpu_count()} CPUs, 1 gunicorn gthread worker x {args.threads} threads, "
          f"{args.worker_concurrency} Celery worker process(es), LOG_LEVEL={args.log_level}, "
          f"OMP_NUM_THREADS={stack.env['OMP_NUM_THREADS']}, loopback, asyncio client)")
    print(f"forecast 24 h, concurrency 1: {len(seq)} requests, {seq_err} errors, p50 {p50_1:.2f} ms, "
          f"p90 {pct(seq, .9) * 1000:.2f} ms, p99 {pct(seq, .99) * 1000:.2f} ms")
    print(f"  target p50 <= 10 ms: {'MET' if p50_1 <= 10 else 'NOT MET'} (p50 / target = {p50_1 / 10:.2f}); "
          f"original 50-100 ms: {50 / p50_1:.1f}x-{100 / p50_1:.1f}x faster")
    print(f"forecast 24 h, concurrency 16: {len(conc)} requests in {wall:.2f} s = {rps:.0f} req/s, {conc_err} errors, "
          f"p50 {statistics.median(conc) * 1000:.1f} ms, p99 {pct(conc, .99) * 1000:.1f} ms")
    server_ms = cpu_ms["api"] + cpu_ms["worker"] + cpu_ms["redis"]
    print("  CPU ms per request: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu_ms.items())
          + f"; server total {server_ms:.2f} ms -> at most {2000 / server_ms:.0f} req/s on 2 idle cores"
          + f" (1-min load average after the run {os.getloadavg()[0]:.1f}, this stack included)")
    print(f"  target >= 300 req/s with no errors: {'MET' if rps >= 300 and not conc_err else 'NOT MET'} "
          f"(rate / target = {rps / 300:.2f}); original 100-200 req/s: {rps / 200:.1f}x-{rps / 100:.1f}x")
    a50 = statistics.median(analysis)
    print(f"analysis 168 h submit -> result (10 runs, polling every 5 ms): median {a50 * 1000:.0f} ms, "
          f"max {max(analysis) * 1000:.0f} ms; target <= 500 ms: {'MET' if a50 <= 0.5 else 'NOT MET'} "
          f"(median / target = {a50 / 0.5:.2f})")
    b50 = statistics.median(batches)
    print(f"batch 1000 plans x 168 h submit -> done (3 runs): median {b50:.2f} s, max {max(batches):.2f} s; "
          f"target <= 3 s: {'MET' if b50 <= 3 else 'NOT MET'} (median / target = {b50 / 3:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
