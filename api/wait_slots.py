"""How many requests of this API process may wait for a result at once; the rest answer 202 at once.

A waiting request holds one of gunicorn's threads for up to SYNC_WAIT_S. Unbounded, enough of them take
every thread, and health checks, job polls and new submissions queue behind their waits (seconds). The
cap keeps GUNICORN_THREADS - SYNC_MAX_WAITING threads for everything that does not wait; a request
beyond it gets its job at once, as with `Prefer: respond-async`, and the job runs all the same.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class WaitSlots:
    """A non-blocking counting semaphore: ``slot(wanted)`` yields whether this request may wait."""

    def __init__(self, limit: int):
        self.limit = limit
        self._taken = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, wanted: bool = True) -> Iterator[bool]:
        with self._lock:
            got = wanted and self._taken < self.limit
            self._taken += got
        try:
            yield got
        finally:
            if got:
                with self._lock:
                    self._taken -= 1

    def taken(self) -> int:
        with self._lock:
            return self._taken
