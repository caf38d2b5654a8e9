"""Natural batching of synchronous jobs, so a worker runs one network pass per group, not per request.

Jobs are published at once while fewer than ``max_in_flight`` groups from this process are unfinished
(at concurrency 1 nothing waits). Otherwise they collect, and go out as one group the moment a group
finishes: under load, groups grow to match the workers' pace by themselves.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

log = logging.getLogger("capplan.api")
# A group unfinished for this long (a worker died with it) stops holding others back.
STALLED_AFTER_S = 2.0


class JobDispatcher:
    """Hands job ids to ``publish`` in groups; ``done(job_id)`` must follow each ``submit(job_id)``."""

    def __init__(self, publish: Callable[[list[str]], None], on_error: Callable[[list[str], Exception], None],
                 max_in_flight: int = 2, max_group: int = 64):
        self.publish = publish
        self.on_error = on_error
        self.max_in_flight = max_in_flight
        self.max_group = max_group
        self._pending: list[str] = []
        self._group_of: dict[str, int] = {}      # job id -> group number, while unfinished
        self._open: dict[int, list] = {}         # group number -> [jobs of it not yet done, published at]
        self._abandoned: set[str] = set()        # done() before they were published
        self._next_group = 0
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def submit(self, job_id: str) -> None:
        with self._wakeup:
            self._pending.append(job_id)
            self._ensure_thread()
            self._wakeup.notify()

    def done(self, job_id: str) -> None:
        """The caller stopped waiting for ``job_id`` (result, timeout or error): its group may close."""
        with self._wakeup:
            group = self._group_of.pop(job_id, None)
            if group is None:
                if job_id in self._pending:       # still published later, but nobody waits on it
                    self._abandoned.add(job_id)
                return
            self._open[group][0] -= 1
            if self._open[group][0] <= 0:
                del self._open[group]
                self._wakeup.notify()

    def in_flight(self) -> int:
        with self._wakeup:
            return len(self._open)

    def _ensure_thread(self) -> None:
        # Started on first use, and again in a process forked after it (gunicorn preload).
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="capplan-dispatch", daemon=True)
            self._thread.start()

    def _busy(self) -> bool:
        fresh = time.monotonic() - STALLED_AFTER_S
        return sum(1 for _, published in self._open.values() if published > fresh) >= self.max_in_flight

    def _take_group(self) -> list[str]:
        with self._wakeup:
            while not self._pending or self._busy():
                self._wakeup.wait(timeout=None if not self._pending else 0.1)
            group = self._pending[:self.max_group]
            del self._pending[:self.max_group]
            waited = [job_id for job_id in group if job_id not in self._abandoned]
            self._abandoned.difference_update(group)
            if waited:
                self._next_group += 1
                self._open[self._next_group] = [len(waited), time.monotonic()]
                for job_id in waited:
                    self._group_of[job_id] = self._next_group
            return group

    def _run(self) -> None:
        while True:
            group = self._take_group()
            try:
                self.publish(group)
            except Exception as exc:  # noqa: BLE001 - the waiting requests must hear about it
                log.warning("publishing %d jobs failed: %s", len(group), exc)
                try:
                    self.on_error(group, exc)
                except Exception:  # noqa: BLE001 - Redis is down too: waiters get 503 from their own wait
                    pass
