"""A real Alertmanager on a free port for the tests; the tests that need it skip loudly without it.

Debian's prometheus-alertmanager (.ci/run installs it). No cluster port is opened, and its data lives in a
temporary directory removed afterwards.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

from tests.redis_server import free_port

BINARIES = ("/usr/bin/prometheus-alertmanager", "alertmanager")
# Alerts go to a receiver that sends nothing: the tests read them back through Alertmanager's own API.
CONFIG = """route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""


def alertmanager_binary() -> str | None:
    for name in BINARIES:
        found = shutil.which(name) or (name if os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def require_alertmanager() -> str:
    binary = alertmanager_binary()
    if binary is None:
        pytest.skip("SKIPPED LOUDLY: prometheus-alertmanager is not installed (Debian: apt-get install "
                    "prometheus-alertmanager; .ci/run installs it), so pushing alerts to Alertmanager is "
                    "untested here")
    return binary


class AlertmanagerProcess:
    """``start()``, then ``url`` serves Alertmanager's API; ``alerts()`` lists what it holds."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="capplan-alertmanager-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "AlertmanagerProcess":
        config = os.path.join(self.dir, "alertmanager.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(CONFIG)
        self.log = open(os.path.join(self.dir, "alertmanager.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, f"--config.file={config}", f"--storage.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"alertmanager exited: {self.read_log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"alertmanager not ready after {timeout} s")

    def read_log(self) -> str:
        with open(os.path.join(self.dir, "alertmanager.log"), errors="replace") as f:
            return f.read()

    def alerts(self) -> list[dict]:
        """GET /api/v2/alerts: the alerts it holds now (active ones)."""
        with urllib.request.urlopen(self.url + "/api/v2/alerts", timeout=5) as reply:
            return json.loads(reply.read())

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
