"""`capplan run` (what `make run` calls): Redis if none answers, one Celery worker, the API under gunicorn.

It prints one `capplan ready: URL (...)` line once the API's health check says a worker holds the model.
Ctrl-C or SIGTERM stops everything it started, newest first; if one process dies the rest are stopped.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Callable
from urllib.parse import urlparse

from capplan.config import REPO_ROOT, ConfigError, load_settings
from capplan.embedded_redis import redis_answers, redis_server_binary
from capplan.keys import auth_summary

STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 60.0   # after this, say what is still missing (and keep waiting)
HEALTH_POLL_S = 0.5


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
        # --quiet: no banner; the ready line says what came up.
        "worker": [py, "-m", "celery", "--quiet", "-A", "workers.worker", "worker", "-Q", "forecast,batch",
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
            "--maxmemory-policy", "noeviction", "--loglevel", "warning"]
    if parsed.password:
        args += ["--requirepass", parsed.password]
    return args


class Supervisor:
    """Starts processes in order, stops them in reverse order."""

    def __init__(self, show_commands: bool = False):
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.show_commands = show_commands   # command lines may hold a Redis password: only at DEBUG

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        if self.show_commands:
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


def fetch_health(url: str, timeout: float = 2.0) -> dict | None:
    """The body of the API's health check (a 503 "degraded" one too), or None while the API does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            return json.loads(err.read())
        except ValueError:
            return None
    except (OSError, http.client.HTTPException, ValueError):
        return None


def ready_line(base_url: str, health: dict) -> str:
    """`capplan ready: URL (model NAME VERSION on DEVICE, N workers)` from a healthy health body."""
    if "model" not in health:           # AUTH=keys: the launcher holds no key, and gets the status alone
        return f"capplan ready: {base_url} (API keys required)"
    model = health.get("model") or {}
    devices = "/".join(health.get("devices") or [health.get("device") or "an unknown device"])
    live = (health.get("workers") or {}).get("live", 0)
    return (f"capplan ready: {base_url} (model {model.get('name')} {model.get('version')} on {devices}, "
            f"{live} worker{'' if live == 1 else 's'})")


def missing_line(base_url: str, health: dict | None, waited_s: float) -> str:
    """What still keeps the service from answering, in the health check's own words."""
    if health is None:
        missing = f"the API does not answer at {base_url}/api/health"
    else:
        missing = "; ".join(health.get("reasons") or [f"health says {health.get('status')!r}"])
    return f"capplan not ready after {waited_s:.0f} s: {missing} (still waiting; Ctrl-C stops everything)"


class ReadinessWatch:
    """Polls /api/health over HTTP (the job store is the API's business) until a worker holds the model."""

    def __init__(self, base_url: str, timeout_s: float = READY_TIMEOUT_S,
                 fetch: Callable[[str], dict | None] = fetch_health, clock: Callable[[], float] = time.monotonic):
        self.base_url, self.timeout_s, self.fetch, self.clock = base_url, timeout_s, fetch, clock
        self.started = clock()
        self.next_poll = self.started
        self.ready = self.reported_missing = False

    def poll(self) -> tuple[str, str] | None:
        """("ready" | "missing", line) when there is something to say, else None; call it often."""
        now = self.clock()
        if self.ready or now < self.next_poll:
            return None
        self.next_poll = now + HEALTH_POLL_S
        health = self.fetch(f"{self.base_url}/api/health")
        if health and health.get("status") == "healthy" and health.get("model_loaded", True):
            self.ready = True
            return "ready", ready_line(self.base_url, health)
        failed = bool(health and (health.get("model") or {}).get("error"))   # a worker tried and failed: no use waiting
        if not self.reported_missing and (failed or now - self.started >= self.timeout_s):
            self.reported_missing = True
            return "missing", missing_line(self.base_url, health, now - self.started)
        return None


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine uses for an API listening on ``host``."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(args: argparse.Namespace) -> int:
    settings = load_settings({"HOST": args.host})
    url = args.redis_url or settings.REDIS_URL
    port = args.port or settings.PORT
    try:
        print(f"capplan run: {auth_summary(settings)}", file=sys.stderr, flush=True)
    except ConfigError as e:
        raise SystemExit(f"capplan run: {e}") from None
    env = {**os.environ, "REDIS_URL": url, "PORT": str(port), "HOST": args.host,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    supervisor = Supervisor(show_commands=settings.LOG_LEVEL.upper() == "DEBUG")
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if redis_answers(url):
            print(f"capplan run: using the Redis at {url}", file=sys.stderr, flush=True)
        else:
            redis_port = urlparse(url).port or 6379
            print(f"capplan run: starting Redis on 127.0.0.1:{redis_port} (data in var/redis-{redis_port})",
                  file=sys.stderr, flush=True)
            _wait_for_redis(url, supervisor.start("redis", embedded_redis_command(url), env))
        cmds = commands(settings, args.host, port, args.concurrency, args.threads)
        workers = f"{args.concurrency} worker process{'' if args.concurrency == 1 else 'es'}"
        print(f"capplan run: starting {workers} and the API on {args.host}:{port} (Ctrl-C stops everything)",
              file=sys.stderr, flush=True)
        # One torch thread per worker process: small batched passes waste CPU spinning extra threads,
        # and the API and Redis need the other cores. Set OMP_NUM_THREADS to override.
        supervisor.start("worker", cmds["worker"], {"OMP_NUM_THREADS": "1", **env})
        supervisor.start("api", cmds["api"], env)
        watch = ReadinessWatch(local_url(args.host, port))
        while stopping["signal"] is None:
            dead = supervisor.exited()
            if dead:
                print(f"capplan run: {dead[0]} exited with {dead[1]}; stopping", file=sys.stderr, flush=True)
                return 1
            said = watch.poll()
            if said:
                print(said[1], file=sys.stdout if said[0] == "ready" else sys.stderr, flush=True)
            time.sleep(0.2)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="capplan run")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
