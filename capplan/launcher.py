"""`capplan run` (what `make run` calls): Redis if none answers, one Celery worker, the API under gunicorn.

Ctrl-C or SIGTERM stops everything it started, newest first; if one process dies the rest are stopped.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

from capplan.config import REPO_ROOT, load_settings
from capplan.embedded_redis import redis_answers, redis_server_binary

STOP_TIMEOUT_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address the API listens on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="API port (default: PORT, 5000)")
    parser.add_argument("--redis-url", default=None, help="Redis to use (default: REDIS_URL)")
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads (default 16)")


def commands(settings, host: str, port: int, concurrency: int, threads: int) -> dict[str, list[str]]:
    """The worker and API command lines (the Procfile has the same two)."""
    py = sys.executable
    return {
        "worker": [py, "-m", "celery", "-A", "workers.worker", "worker", "-Q", "forecast,batch",
                   "-c", str(concurrency), "-n", "capplan@%h", "--without-gossip", "--without-mingle",
                   "-l", settings.LOG_LEVEL],
        "api": [py, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app", "-b", f"{host}:{port}",
                "--threads", str(threads)],
    }


def embedded_redis_command(url: str) -> list[str]:
    parsed = urlparse(url)
    if parsed.hostname not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"capplan run: no Redis answers at {url}, and an embedded one can only listen locally")
    data = REPO_ROOT / "var" / f"redis-{parsed.port or 6379}"   # one directory per port: no shared AOF
    data.mkdir(parents=True, exist_ok=True)
    args = [redis_server_binary(), "--port", str(parsed.port or 6379), "--bind", "127.0.0.1",
            "--dir", str(data), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--maxmemory-policy", "noeviction"]
    if parsed.password:
        args += ["--requirepass", parsed.password]
    return args


class Supervisor:
    """Starts processes in order, stops them in reverse order."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        print(f"capplan run: starting {name}: {' '.join(args)}", file=sys.stderr, flush=True)
        proc = subprocess.Popen(args, env=env, cwd=str(REPO_ROOT), start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def exited(self) -> tuple[str, int] | None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def stop(self) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                print(f"capplan run: stopping {name}", file=sys.stderr, flush=True)
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for _name, proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)   # leftovers in its group (pool children)
            except (ProcessLookupError, PermissionError):
                pass


def _wait_for_redis(url: str, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_answers(url):
            return
        if proc.poll() is not None:
            raise SystemExit(f"capplan run: embedded redis-server exited with {proc.returncode}")
        time.sleep(0.05)
    raise SystemExit(f"capplan run: embedded redis-server did not answer at {url}")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = args.redis_url or settings.REDIS_URL
    port = args.port or settings.PORT
    env = {**os.environ, "REDIS_URL": url, "PORT": str(port),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    supervisor = Supervisor()
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if redis_answers(url):
            print(f"capplan run: using the Redis at {url}", file=sys.stderr, flush=True)
        else:
            _wait_for_redis(url, supervisor.start("redis", embedded_redis_command(url), env))
        cmds = commands(settings, args.host, port, args.concurrency, args.threads)
        # One torch thread per worker process: small batched passes waste CPU spinning extra threads,
        # and the API and Redis need the other cores. Set OMP_NUM_THREADS to override.
        supervisor.start("worker", cmds["worker"], {"OMP_NUM_THREADS": "1", **env})
        supervisor.start("api", cmds["api"], env)
        print(f"capplan run: API on http://{args.host}:{port}  (Ctrl-C stops everything)",
              file=sys.stderr, flush=True)
        while stopping["signal"] is None:
            dead = supervisor.exited()
            if dead:
                print(f"capplan run: {dead[0]} exited with {dead[1]}; stopping", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="capplan run")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
