"""A private RabbitMQ node on free ports, for the tests (never the machine's own RabbitMQ).

Debian's rabbitmq-server package; the node's config, data, logs and Erlang cookie live in one temporary
directory, owned by the ``rabbitmq`` user when the tests run as root.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.redis_server import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def rabbitmq_installed() -> bool:
    return (RABBITMQ_BIN / "rabbitmq-server").exists() or shutil.which("rabbitmq-server") is not None


class RabbitMQProcess:
    """Start and stop one node listening on 127.0.0.1 only, with the management plugin off."""

    def __init__(self):
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"capplan-test-{self.port}@localhost"
        self.dir = Path(tempfile.mkdtemp(prefix="capplan-rabbitmq-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _env(self) -> dict:
        return {**os.environ, "HOME": str(self.dir), "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
                "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.dir / "log"), "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins")}

    def _command(self, tool: str, *args: str) -> list[str]:
        path = RABBITMQ_BIN / tool if (RABBITMQ_BIN / tool).exists() else shutil.which(tool)
        if os.geteuid() == 0:          # RabbitMQ runs as its own user, not root; runuser keeps the env
            return ["runuser", "-u", "rabbitmq", "--", str(path), *args]
        return [str(path), *args]

    def _write_files(self) -> None:
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "log.console = false\nlog.file.level = warning\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            user = pwd.getpwnam("rabbitmq")
            for path in (self.dir, *self.dir.rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid)

    def start(self, timeout: float = 60.0) -> "RabbitMQProcess":
        self._write_files()
        log = open(self.dir / "server.out", "ab")
        self.proc = subprocess.Popen(self._command("rabbitmq-server"), env=self._env(), cwd=str(self.dir),
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if self._answers():
                return self
            time.sleep(0.25)
        raise RuntimeError(f"RabbitMQ did not answer on port {self.port}: {self.output()[-2000:]}")

    def _answers(self) -> bool:
        import amqp

        connection = amqp.Connection(f"127.0.0.1:{self.port}", connect_timeout=1)
        try:
            connection.connect()
            return True
        except Exception:  # noqa: BLE001 - not listening yet, or listening before it accepts logins
            return False
        finally:
            try:
                connection.collect()
            except Exception:  # noqa: BLE001
                pass

    def output(self) -> str:
        path = self.dir / "server.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run(self._command("rabbitmqctl", "-n", self.node, "stop"), env=self._env(),
                           cwd=str(self.dir), capture_output=True, timeout=60)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # manual use: python -m tests.rabbitmq_server
    server = RabbitMQProcess().start()
    print(server.url, flush=True)
    try:
        server.proc.wait()
    finally:
        server.close()
