"""`capplan run` end to end: embedded Redis, a worker and gunicorn come up healthy, it says so in one line
with no warnings, and SIGINT stops them all; and the ready line from health bodies."""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import psutil
import pytest

from capplan.launcher import ReadinessWatch, commands, fetch_health, local_url
from capplan.config import load_settings
from tests.redis_server import free_port

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_commands_match_the_procfile():
    cmds = commands(load_settings(), "127.0.0.1", 5001, 1, 8)
    procfile = open(os.path.join(REPO, "Procfile")).read()
    assert "api.wsgi:app" in " ".join(cmds["api"]) and "api.wsgi:app" in procfile
    assert "workers.worker" in " ".join(cmds["worker"]) and "-A workers.worker worker" in procfile
    assert "-Q forecast,batch" in " ".join(cmds["worker"]) and "-Q forecast,batch" in procfile
    assert "-Q interactive " in " ".join(cmds["worker-interactive"]) and "-Q interactive " in procfile


def test_without_interactive_workers_the_one_worker_takes_every_queue():
    cmds = commands(load_settings(), "127.0.0.1", 5001, 2, 8, interactive=0)
    assert "worker-interactive" not in cmds and "-Q interactive,forecast,batch" in " ".join(cmds["worker"])


HEALTHY = {"status": "healthy", "model_loaded": True,
           "model": {"name": "attention_bilstm", "version": "1.7.0", "kind": "multi_horizon", "precision": "fp32",
                     "error": None},
           "device": "cpu", "devices": ["cpu"], "redis": {"reachable": True},
           "workers": {"live": 1, "nodes": 1, "queues": ["batch", "forecast"]}, "reasons": []}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_ready_line_from_a_healthy_health_body_once():
    bodies = [None, {**HEALTHY, "status": "degraded", "model_loaded": False, "reasons": ["no live workers"]}, HEALTHY]
    clock = FakeClock()
    watch = ReadinessWatch("http://127.0.0.1:5000", fetch=lambda _url: bodies.pop(0), clock=clock)
    said = []
    for _ in range(6):
        said.append(watch.poll())
        clock.now += 1
    assert said == [None, None,
                    ("ready", "capplan ready: http://127.0.0.1:5000 (model attention_bilstm 1.7.0 on cpu, 1 worker)"),
                    None, None, None]


def test_ready_line_counts_workers_and_devices():
    body = {**HEALTHY, "devices": ["cpu", "cuda:0"], "workers": {"live": 3, "nodes": 2, "queues": []}}
    watch = ReadinessWatch("http://127.0.0.1:5001", fetch=lambda _url: body, clock=FakeClock())
    assert watch.poll() == (
        "ready", "capplan ready: http://127.0.0.1:5001 (model attention_bilstm 1.7.0 on cpu/cuda:0, 3 workers)")


@pytest.mark.parametrize("body, missing", [
    (None, "the API does not answer at http://127.0.0.1:5000/api/health"),
    ({**HEALTHY, "status": "degraded", "model_loaded": False, "workers": {"live": 0}, "reasons": ["no live workers"]},
     "no live workers"),
])
def test_says_what_is_missing_once_after_the_timeout_then_still_says_ready(body, missing):
    bodies = [body] * 5 + [HEALTHY]
    clock = FakeClock()
    watch = ReadinessWatch("http://127.0.0.1:5000", timeout_s=3, fetch=lambda _url: bodies.pop(0), clock=clock)
    said = []
    for _ in range(6):
        said.append(watch.poll())
        clock.now += 1
    assert said[:3] == [None, None, None] and said[4] is None
    assert said[3] == ("missing", f"capplan not ready after 3 s: {missing} (still waiting; Ctrl-C stops everything)")
    assert said[5][0] == "ready"


def test_a_model_that_failed_to_load_is_said_at_once():
    body = {**HEALTHY, "status": "degraded", "model_loaded": False,
            "model": {**HEALTHY["model"], "error": "/nowhere holds no model"},
            "reasons": ["no worker has the model loaded: /nowhere holds no model"]}
    watch = ReadinessWatch("http://127.0.0.1:5000", fetch=lambda _url: body, clock=FakeClock())
    assert watch.poll() == ("missing", "capplan not ready after 0 s: no worker has the model loaded: "
                                       "/nowhere holds no model (still waiting; Ctrl-C stops everything)")


def test_local_url_for_wildcard_and_ipv6_hosts():
    assert local_url("0.0.0.0", 5000) == "http://127.0.0.1:5000"
    assert local_url("::1", 5000) == "http://[::1]:5000"
    assert local_url("127.0.0.1", 8080) == "http://127.0.0.1:8080"


def _lines_of(proc) -> queue.Queue:
    """The process's output lines as they come, read on a thread so the pipe never fills."""
    lines: queue.Queue = queue.Queue()

    def pump():
        for raw in proc.stdout:
            lines.put(raw.decode(errors="replace"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _warnings_in(output: str) -> list[str]:
    """Lines that name a Python warning; Celery's SecurityWarning for a worker run as root is a fact, not noise."""
    found = [line for line in output.splitlines() if "Warning" in line]
    if os.geteuid() == 0:
        found = [line for line in found if "SecurityWarning: You're running the worker with superuser" not in line]
    return found


def _read_until(lines: queue.Queue, output: list[str], done, timeout: float) -> None:
    """Append the launcher's lines to ``output`` until ``done(output)`` or it stops printing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(output):
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            return
        output.append(line)


def _check_embedded_redis(launcher: psutil.Process, redis_port: int) -> str:
    """Its password (read from the API's environment): strangers are refused, maxmemory 512mb, noeviction."""
    import redis as redis_lib

    api = next(p for p in launcher.children() if "gunicorn" in " ".join(p.cmdline()))
    url = api.environ()["REDIS_URL"]
    password = urlparse(url).password
    assert password and password not in " ".join(" ".join(p.cmdline()) for p in launcher.children(recursive=True))
    with pytest.raises(redis_lib.exceptions.AuthenticationError):
        redis_lib.Redis(port=redis_port, socket_timeout=2).set("k", "v")
    client = redis_lib.Redis.from_url(url, socket_timeout=2)
    assert client.config_get("maxmemory") == {"maxmemory": str(512 * 1024 * 1024)}
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    return password


def _kill_the_worker_and_see_it_back(launcher: psutil.Process, port: int, lines, output) -> None:
    def interactive_workers():
        return [p for p in launcher.children() if "interactive@" in " ".join(p.cmdline())]

    worker = interactive_workers()[0]
    worker.kill()
    restarting = "capplan run: worker-interactive exited with -9; restarting it in 1 s"
    _read_until(lines, output, lambda out: any(restarting in line for line in out), 30)
    assert any(restarting in line for line in output), "".join(output)
    deadline, body = time.monotonic() + 120, {}
    while time.monotonic() < deadline:
        body = fetch_health(f"http://127.0.0.1:{port}/api/health") or {}
        again = interactive_workers()
        if body.get("status") == "healthy" and again and again[0].pid != worker.pid:
            return
        time.sleep(0.5)
    raise AssertionError(f"no healthy worker after the restart: {body}")


@pytest.mark.integration
@pytest.mark.slow
def test_capplan_run_says_ready_restarts_a_dead_worker_and_sigint_stops_everything():
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "LOG_LEVEL": "INFO",
           "FORECAST_DEVICE": "cpu", "MODEL_DIR": os.path.join(REPO, "models", "artifacts")}
    proc = subprocess.Popen([sys.executable, "-m", "capplan.cli", "run"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines, output, started, password = _lines_of(proc), [], [], None
    try:
        _read_until(lines, output, lambda out: any(line.startswith("capplan ready:") for line in out), 150)
        ready = [line.strip() for line in output if line.startswith("capplan ready:")]
        assert ready == [f"capplan ready: http://127.0.0.1:{port} (model attention_bilstm "
                         f"{_shipped_version()} on cpu, 2 workers)"], "".join(output)
        launcher = psutil.Process(proc.pid)
        password = _check_embedded_redis(launcher, redis_port)
        _kill_the_worker_and_see_it_back(launcher, port, lines, output)
        started = launcher.children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "redis-server" in names and "celery" in names and "gunicorn" in names
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _read_until(lines, output, lambda out: False, 10)
    text = "".join(output)
    assert not _warnings_in(text), text
    assert "GET /api/health" not in text, text   # the launcher's own polls log at DEBUG
    assert password and password not in text     # printed at DEBUG only
    time.sleep(0.5)
    shutil.rmtree(os.path.join(REPO, "var", f"redis-{redis_port}"), ignore_errors=True)
    alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [p.cmdline() for p in alive]


def _shipped_version() -> str:
    with open(os.path.join(REPO, "models", "artifacts", "model.json")) as f:
        return json.load(f)["version"]
