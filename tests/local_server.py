"""A server binary started by the tests on a free port of 127.0.0.1, waited for until it answers, stopped after.

Prometheus uses it (tests/prometheus_server.py); any HTTP server a test starts the same way can too:
``ServerProcess(name, lambda port: [binary, ...], ready_path="/-/ready").start()``.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from tests.redis_server import free_port

__all__ = ["ServerProcess", "free_port", "wait_until_ready"]


def wait_until_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 30.0,
                     what: str = "the server") -> None:
    """Poll ``url`` until it answers 200; fail at once when ``proc`` exits, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1.0) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:g} s")


class ServerProcess:
    """``command(port)`` run in its own session with a private directory (``dir``) and log file."""

    def __init__(self, name: str, command: Callable[[int, Path], list[str]], ready_path: str = "/",
                 port: int | None = None):
        self.name = name
        self.command = command
        self.ready_path = ready_path
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"capplan-{name}-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.dir / f"{self.name}.log"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(self.port, self.dir), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until_ready(self.url + self.ready_path, self.proc, timeout, self.name)
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}; its log ends: {self.log_tail()}") from None
        return self

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *_exc) -> None:
        self.close()
