"""A real Redis server process on a free port, for the tests (never the user's Redis)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from capplan.embedded_redis import redis_server_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """Start, stop and restart a redis-server bound to 127.0.0.1 on one port."""

    def __init__(self, port: int | None = None, appendonly: bool = False, appendfsync: str = "always"):
        self.port = port or free_port()
        # True: an append-only file, fsynced as ``appendfsync`` says ("always": a restart, even after
        # SIGKILL, loses nothing; "everysec": as deployments run it).
        self.appendonly, self.appendfsync = appendonly, appendfsync
        self.dir = tempfile.mkdtemp(prefix="capplan-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "RedisProcess":
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", *self._persistence(), "--dir", self.dir, "--protected-mode", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def _persistence(self) -> list[str]:
        return ["--appendonly", "yes", "--appendfsync", self.appendfsync] if self.appendonly else ["--appendonly", "no"]

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, nothing written that was not written already."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # manual use: python tests/redis_server.py
    r = RedisProcess().start()
    print(r.url, os.getpid())
    try:
        r.proc.wait()
    finally:
        r.close()
