"""`capplan run` end to end: embedded Redis, a worker and gunicorn come up healthy; SIGINT stops them all."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from capplan.launcher import commands, embedded_redis_command
from capplan.config import load_settings
from tests.redis_server import free_port

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_commands_match_the_procfile():
    cmds = commands(load_settings(), "127.0.0.1", 5001, 1, 8)
    procfile = open(os.path.join(REPO, "Procfile")).read()
    assert "api.wsgi:app" in " ".join(cmds["api"]) and "api.wsgi:app" in procfile
    assert "workers.worker" in " ".join(cmds["worker"]) and "-A workers.worker worker" in procfile
    assert "-Q forecast,batch" in " ".join(cmds["worker"]) and "-Q forecast,batch" in procfile


def test_embedded_redis_only_for_local_urls():
    assert "--requirepass" in embedded_redis_command("redis://:pw@127.0.0.1:6390/0")
    with pytest.raises(SystemExit):
        embedded_redis_command("redis://redis.example.com:6379/0")


@pytest.mark.integration
@pytest.mark.slow
def test_capplan_run_starts_everything_and_sigint_stops_everything():
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "capplan.cli", "run"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    body, started = {}, []
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    body = json.loads(r.read())
                if body.get("status") == "healthy":
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert body.get("status") == "healthy" and body["model_loaded"], body
        started = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "redis-server" in names and "celery" in names and "gunicorn" in names
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.5)
    shutil.rmtree(os.path.join(REPO, "var", f"redis-{redis_port}"), ignore_errors=True)
    alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [p.cmdline() for p in alive]
