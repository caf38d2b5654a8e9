"""Natural batching of synchronous jobs: jobs that arrive while a publish is in flight go out together.

At concurrency 1 a job is published at once; under load, groups form by themselves and a worker runs
one network pass per group instead of one per request.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable

log = logging.getLogger("capplan.api")


class JobDispatcher:
    """Collects job ids and hands them to ``publish`` in groups of at most ``max_group``."""

    def __init__(self, publish: Callable[[list[str]], None], on_error: Callable[[list[str], Exception], None],
                 max_group: int = 64):
        self.publish = publish
        self.on_error = on_error
        self.max_group = max_group
        self._pending: list[str] = []
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def submit(self, job_id: str) -> None:
        with self._wakeup:
            self._pending.append(job_id)
            self._ensure_thread()
            self._wakeup.notify()

    def _ensure_thread(self) -> None:
        # Started on first use, and again in a process forked after it (gunicorn preload).
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="capplan-dispatch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._pending:
                    self._wakeup.wait()
                group = self._pending[:self.max_group]
                del self._pending[:self.max_group]
            try:
                self.publish(group)
            except Exception as exc:  # noqa: BLE001 - the waiting requests must hear about it
                log.warning("publishing %d jobs failed: %s", len(group), exc)
                try:
                    self.on_error(group, exc)
                except Exception:  # noqa: BLE001 - Redis is down too: waiters get 503 from their own wait
                    pass
