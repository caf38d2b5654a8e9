"""`capplan run` (what `make run` calls): Redis if none answers, Celery workers, the API under gunicorn.

Two workers: one for the interactive queue (what requests wait for), one for analyses and batches, so
that a flood of jobs never holds up a synchronous forecast (jobs/queues.py says why a queue order won't).

It prints one `capplan ready: URL (...)` line once the API's health check says a worker holds the model.
Ctrl-C or SIGTERM stops everything it started, newest first. A worker that dies is restarted; if Redis
or the API dies, the rest are stopped (capplan/supervisor.py).
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

from capplan.config import REPO_ROOT, ConfigError, Settings, load_settings
from capplan.embedded_redis import embedded_redis_command, redacted, redis_answers, with_password
from capplan.supervisor import Supervisor, say
from jobs.queues import INTERACTIVE_QUEUE, WORKER_QUEUES
from capplan.keys import auth_summary

READY_TIMEOUT_S = 60.0   # after this, say what is still missing (and keep waiting)
HEALTH_POLL_S = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address the API listens on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="API port (default: PORT, 5000)")
    parser.add_argument("--redis-url", default=None, help="Redis to use (default: REDIS_URL)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="worker processes for analyses and batches (default 1)")
    parser.add_argument("--interactive", type=int, default=1,
                        help="worker processes for the requests that wait: synchronous forecasts and "
                             "recommendations (default 1; 0 shares the other workers, without their guarantee)")
    parser.add_argument("--threads", type=int, default=32, help="gunicorn threads (default 32)")


def worker_command(settings, name: str, queues: tuple[str, ...], processes: int) -> list[str]:
    # --quiet: no banner; the ready line says what came up.
    return [sys.executable, "-m", "celery", "--quiet", "-A", "workers.worker", "worker", "-Q", ",".join(queues),
            "-c", str(processes), "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
            "-l", settings.LOG_LEVEL]


def worker_processes(args: argparse.Namespace) -> int:
    return args.concurrency + max(args.interactive, 0)


def commands(settings, host: str, port: int, concurrency: int, threads: int,
             interactive: int = 1) -> dict[str, list[str]]:
    """The worker and API command lines (the Procfile has the same three)."""
    bulk = WORKER_QUEUES["bulk"] if interactive > 0 else (INTERACTIVE_QUEUE, *WORKER_QUEUES["bulk"])
    cmds = {"worker": worker_command(settings, "capplan", bulk, concurrency)}
    if interactive > 0:
        cmds["worker-interactive"] = worker_command(settings, "interactive", WORKER_QUEUES["interactive"],
                                                    interactive)
    cmds["api"] = [sys.executable, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app",
                   "-b", f"{host}:{port}", "--threads", str(threads)]
    return cmds


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


def missing_line(base_url: str, health: dict | None, waited_s: float, workers: int = 1) -> str:
    """What still keeps the service from answering, in the health check's own words."""
    if health is None:
        missing = f"the API does not answer at {base_url}/api/health"
    elif health.get("status") == "healthy":
        missing = f"{(health.get('workers') or {}).get('live', 0)} of {workers} worker processes are up"
    else:
        missing = "; ".join(health.get("reasons") or [f"health says {health.get('status')!r}"])
    return f"capplan not ready after {waited_s:.0f} s: {missing} (still waiting; Ctrl-C stops everything)"


class ReadinessWatch:
    """Polls /api/health over HTTP (the job store is the API's business) until a worker holds the model."""

    def __init__(self, base_url: str, timeout_s: float = READY_TIMEOUT_S,
                 fetch: Callable[[str], dict | None] = fetch_health, clock: Callable[[], float] = time.monotonic,
                 workers: int = 1):
        self.base_url, self.timeout_s, self.fetch, self.clock = base_url, timeout_s, fetch, clock
        self.workers = workers   # worker processes started: ready once that many are live
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
        live = ((health or {}).get("workers") or {}).get("live", self.workers)   # absent: status-only health
        if health and health.get("status") == "healthy" and health.get("model_loaded", True) and live >= self.workers:
            self.ready = True
            return "ready", ready_line(self.base_url, health)
        failed = bool(health and (health.get("model") or {}).get("error"))   # a worker tried and failed: no use waiting
        if not self.reported_missing and (failed or now - self.started >= self.timeout_s):
            self.reported_missing = True
            return "missing", missing_line(self.base_url, health, now - self.started, self.workers)
        return None


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine uses for an API listening on ``host``."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_redis(supervisor: Supervisor, url: str, settings: Settings) -> str:
    """The Redis URL for the API and the workers: ``url`` when a Redis answers there, else an embedded one's.

    The embedded one gets the password in ``url``, or one of its own for this run, printed at DEBUG only.
    """
    if redis_answers(url):
        say(f"capplan run: using the Redis at {redacted(url)}")
        return url
    url = with_password(url)
    port = urlparse(url).port or 6379
    data = REPO_ROOT / "var" / f"redis-{port}"   # one directory per port: no shared AOF
    data.mkdir(parents=True, exist_ok=True)
    args, config = embedded_redis_command(url, data, settings.REDIS_MAXMEMORY)
    say(f"capplan run: starting Redis on 127.0.0.1:{port} (data in var/redis-{port}, maxmemory "
        f"{settings.REDIS_MAXMEMORY}, password required)")
    if supervisor.show_commands:
        say(f"capplan run: REDIS_URL={url}")
    _wait_for_redis(url, supervisor.start("redis", args, dict(os.environ), stdin_text=config))
    return url


def start_service(supervisor: Supervisor, settings: Settings, args: argparse.Namespace, env: dict) -> None:
    cmds = commands(settings, args.host, int(env["PORT"]), args.concurrency, args.threads, args.interactive)
    processes = worker_processes(args)
    workers = f"{processes} worker process{'' if processes == 1 else 'es'} ({max(args.interactive, 0)} interactive)"
    say(f"capplan run: starting {workers} and the API on {args.host}:{env['PORT']} (Ctrl-C stops everything)")
    # One torch thread per worker process: small batched passes waste CPU spinning extra threads,
    # and the API and Redis need the other cores. Set OMP_NUM_THREADS to override.
    for name in ("worker-interactive", "worker"):
        if name in cmds:
            supervisor.start(name, cmds[name], {"OMP_NUM_THREADS": "1", **env}, restart=True)
    supervisor.start("api", cmds["api"], env)


def supervise(supervisor: Supervisor, watch: ReadinessWatch, stopping: dict) -> int:
    """Until a signal (0) or a process that is not restarted exits (1): restart workers, say when ready."""
    while stopping["signal"] is None:
        dead = supervisor.check()
        if dead:
            say(f"capplan run: {dead[0]} exited with {dead[1]}; stopping")
            return 1
        said = watch.poll()
        if said:
            print(said[1], file=sys.stdout if said[0] == "ready" else sys.stderr, flush=True)
        time.sleep(0.2)
    return 0


def run(args: argparse.Namespace) -> int:
    settings = load_settings({"HOST": args.host})
    port = args.port or settings.PORT
    try:
        say(f"capplan run: {auth_summary(settings)}")
    except ConfigError as e:
        raise SystemExit(f"capplan run: {e}") from None
    supervisor = Supervisor(show_commands=settings.LOG_LEVEL.upper() == "DEBUG")
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        url = start_redis(supervisor, args.redis_url or settings.REDIS_URL, settings)
        env = {**os.environ, "REDIS_URL": url, "PORT": str(port), "HOST": args.host,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        start_service(supervisor, settings, args, env)
        watch = ReadinessWatch(local_url(args.host, port), workers=worker_processes(args))
        return supervise(supervisor, watch, stopping)
    finally:
        supervisor.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="capplan run")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
