"""The whole service as real processes for integration and browser tests: Redis, Celery workers, HTTP API."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from jobs.json_values import check_json
from tests.redis_server import RedisProcess, free_port

REPO = Path(__file__).resolve().parent.parent


@dataclass
class HttpReply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        """The parsed body, checked: Python's json reads NaN and Infinity, which are not JSON."""
        parsed = json.loads(self.body)
        check_json(parsed)
        return parsed


def http(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 30.0) -> HttpReply:
    """One HTTP request with urllib; error statuses are returned, not raised."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return HttpReply(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as e:
        return HttpReply(e.code, dict(e.headers), e.read())


@dataclass
class LiveStack:
    """Start with ``start()``; ``base_url`` serves the API (and dashboard), ``redis_url`` is its Redis."""

    workers: int = 2
    # Celery's broker when not the stack's Redis: a RabbitMQ's amqp:// URL (tests/rabbitmq_server.py).
    broker_url: str = ""
    settings: dict = field(default_factory=dict)
    # Per worker, the queues it consumes (a comma list); by default every worker takes every queue.
    queues: tuple = ()
    # > 0: serve the API under gunicorn (gthread, this many threads) as deployed, instead of werkzeug's
    # thread-per-request server, for tests where running out of request threads matters.
    gunicorn_threads: int = 0
    # Redis with an append-only file fsynced on every write (tests/redis_server.py), to restart it whole.
    redis_appendonly: bool = False
    api_proc: subprocess.Popen | None = None
    redis: RedisProcess | None = None
    worker_procs: list = field(default_factory=list)
    base_url: str = ""
    log_dir: Path | None = None
    _servers: list = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def broker_settings(self) -> dict:
        return {"BROKER_URL": self.broker_url} if self.broker_url else {}

    def worker_env(self) -> dict:
        return {**os.environ, **self.broker_settings(), "REDIS_URL": self.redis_url, "PYTHONPATH": str(REPO),
                "LOG_LEVEL": "INFO",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                **{k: str(v) for k, v in self.settings.items()}}

    def start(self) -> "LiveStack":
        import tempfile

        self.log_dir = Path(tempfile.mkdtemp(prefix="capplan-stack-"))
        self.redis = RedisProcess(appendonly=self.redis_appendonly).start()
        self.worker_procs = [None] * self.workers
        for i in range(self.workers):
            self.start_worker(i)
        self._serve_gunicorn() if self.gunicorn_threads else self._serve_api()
        self.wait_healthy(live=self.workers)
        return self

    def _serve_api(self) -> None:
        self.app, self._server, self.base_url = self.serve_api()

    def serve_api(self, **settings):
        """Another API on this stack's Redis and workers, with these settings (AUTH=keys, say): (app, server, url)."""
        import logging

        from werkzeug.serving import make_server

        from api import create_app

        app = create_app({"REDIS_URL": self.redis_url, "ENV": "test", "LOG_LEVEL": "WARNING", "AUTH": "open",
                          **self.broker_settings(), **self.settings, **settings})
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, name="live-api", daemon=True).start()
        return app, server, f"http://127.0.0.1:{server.server_port}"

    def _serve_gunicorn(self) -> None:
        port = free_port()
        env = {**self.worker_env(), "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING",
               "GUNICORN_THREADS": str(self.gunicorn_threads)}
        log = open(self.log_dir / "api.log", "ab")
        self.api_proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf",
                                          "api.wsgi:app"], env=env, cwd=str(REPO), stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.base_url = f"http://127.0.0.1:{port}"

    # --- workers ----------------------------------------------------------------------------
    def start_worker(self, i: int = 0) -> subprocess.Popen:
        from jobs.queues import QUEUES

        queues = self.queues[i] if i < len(self.queues) else ",".join(QUEUES)
        args = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "-Q", queues,
                "-c", "1", "-n", f"w{i}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
        log = open(self.log_dir / f"worker{i}.log", "ab")
        proc = subprocess.Popen(args, env=self.worker_env(), cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.worker_procs[i] = proc
        return proc

    def worker_children(self, i: int = 0) -> list[int]:
        """Pids of worker ``i``'s pool processes (the ones that hold the model and run tasks)."""
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.worker_procs[i].pid).children()]
        except psutil.NoSuchProcess:
            return []

    def worker_busy(self, i: int = 0, window_s: float = 0.03) -> bool:
        """Whether worker ``i``'s pool uses CPU over a short window (it is running a task)."""
        import psutil

        try:
            procs = [psutil.Process(pid) for pid in self.worker_children(i)]
            before = sum(p.cpu_times().user for p in procs)
            time.sleep(window_s)
            return sum(p.cpu_times().user for p in procs) - before > window_s / 3
        except psutil.NoSuchProcess:
            return False

    def kill_worker_children(self, i: int = 0) -> list[int]:
        """SIGKILL worker ``i``'s pool processes mid-task: its main process requeues their tasks."""
        pids = self.worker_children(i)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def kill_worker(self, i: int = 0) -> None:
        """SIGKILL worker ``i`` and its pool (its unacked tasks return after the visibility timeout)."""
        proc = self.worker_procs[i]
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def freeze_worker(self, i: int = 0, frozen: bool = True) -> None:
        """SIGSTOP (or SIGCONT) worker ``i`` and its pool: nothing it holds can be acknowledged meanwhile."""
        os.killpg(self.worker_procs[i].pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def stop_worker(self, i: int = 0, timeout: float = 60.0) -> int:
        """SIGTERM worker ``i``'s main process (Celery's warm shutdown: it finishes its task); its exit code."""
        proc = self.worker_procs[i]
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=timeout)

    def worker_log(self, i: int = 0) -> str:
        return (self.log_dir / f"worker{i}.log").read_text(errors="replace")

    def restart_worker(self, i: int = 0) -> None:
        self.kill_worker(i)
        self.start_worker(i)

    # --- redis ------------------------------------------------------------------------------
    def stop_redis(self) -> None:
        self.redis.stop()

    def kill_redis(self) -> None:
        self.redis.kill()

    def start_redis(self) -> None:
        self.redis.start()

    # --- health -----------------------------------------------------------------------------
    def health(self) -> HttpReply:
        return http("GET", self.base_url + "/api/health", timeout=10)

    def wait_healthy(self, timeout: float = 120.0, live: int = 1) -> dict:
        deadline = time.monotonic() + timeout
        body = {}
        while time.monotonic() < deadline:
            try:
                reply = self.health()
            except OSError:            # gunicorn not listening yet
                time.sleep(0.25)
                continue
            body = reply.json()
            if reply.status == 200 and body["workers"]["live"] >= live and body["model_loaded"]:
                return body
            for i, proc in enumerate(self.worker_procs):
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"worker {i} exited: {(self.log_dir / f'worker{i}.log').read_text()[-2000:]}")
            time.sleep(0.25)
        raise RuntimeError(f"stack not healthy after {timeout} s: {body}")

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
        if self.api_proc is not None and self.api_proc.poll() is None:
            self.api_proc.terminate()
            self.api_proc.wait(timeout=10)
        for i in range(len(self.worker_procs)):
            proc = self.worker_procs[i]
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            if proc is not None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)   # pool children left behind
                except (ProcessLookupError, PermissionError):
                    pass
        if self.redis is not None:
            self.redis.close()
        if self.log_dir is not None:
            import shutil

            shutil.rmtree(self.log_dir, ignore_errors=True)
