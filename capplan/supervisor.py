"""The processes `capplan run` starts: in order, a worker restarted when it dies, all stopped newest first.

A worker can die on its own (killed for memory, a crash in a native library); the API and Redis keep
running and a new worker picks up its queues, so the launcher restarts it after a short wait that grows
while it keeps dying (1 s, 2 s, 4 s ... 30 s) and shrinks back once it has run for a minute. Redis or the
API dying is not something a restart fixes quietly (a port taken, a broken setting), so that still stops
everything.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

from capplan.config import REPO_ROOT

STOP_TIMEOUT_S = 10.0
RESTART_DELAYS_S = (1, 2, 4, 8, 15, 30)
STABLE_AFTER_S = 60.0   # a process that ran this long is restarted after the shortest wait again


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL what is left of ``proc``'s process group (a dead worker's pool children)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict
    restart: bool
    stdin_text: str | None
    proc: subprocess.Popen | None = None
    started: float = 0.0
    deaths: int = 0                    # deaths in a row, each within STABLE_AFTER_S of its start
    restart_at: float | None = None    # when a dead restartable child is due to start again


class Supervisor:
    """Starts processes in order, restarts the restartable ones that die, stops them in reverse order."""

    def __init__(self, show_commands: bool = False, clock: Callable[[], float] = time.monotonic,
                 log: Callable[[str], None] = say):
        self.children: list[Child] = []
        self.show_commands = show_commands   # command lines at DEBUG only, like REDIS_URL
        self.clock, self.log = clock, log

    @property
    def procs(self) -> list[tuple[str, subprocess.Popen]]:
        return [(c.name, c.proc) for c in self.children if c.proc is not None]

    def start(self, name: str, args: list[str], env: dict, *, restart: bool = False,
              stdin_text: str | None = None) -> subprocess.Popen:
        child = Child(name, args, env, restart, stdin_text)
        self.children.append(child)
        self._spawn(child)
        return child.proc

    def _spawn(self, child: Child) -> None:
        if self.show_commands:
            self.log(f"capplan run: starting {child.name}: {' '.join(child.args)}")
        child.proc = subprocess.Popen(child.args, env=child.env, cwd=str(REPO_ROOT), start_new_session=True,
                                      stdin=subprocess.PIPE if child.stdin_text is not None else None)
        if child.stdin_text is not None:
            child.proc.stdin.write(child.stdin_text.encode())
            child.proc.stdin.close()
        child.started, child.restart_at = self.clock(), None

    def check(self) -> tuple[str, int] | None:
        """Restart restartable children that died (after their wait); (name, exit code) of one that may not."""
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._spawn(child)
                continue
            code = child.proc.poll()
            if code is None:
                continue
            if not child.restart:
                return child.name, code
            self._schedule_restart(child, code, now)
        return None

    def _schedule_restart(self, child: Child, code: int, now: float) -> None:
        kill_group(child.proc)
        child.deaths = 1 if now - child.started >= STABLE_AFTER_S else child.deaths + 1
        delay = RESTART_DELAYS_S[min(child.deaths, len(RESTART_DELAYS_S)) - 1]
        child.restart_at = now + delay
        self.log(f"capplan run: {child.name} exited with {code}; restarting it in {delay} s")

    def stop(self) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                self.log(f"capplan run: stopping {name}")
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait()
        for _name, proc in self.procs:
            kill_group(proc)   # leftovers in its group (pool children)
