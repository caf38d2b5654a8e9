"""The stall sweep: a running job that makes no progress for longer than a lost task takes to come back and
run again is failed with the reason "no progress", instead of staying running until its record expires.

Every worker process offers to sweep from its heartbeat; a Redis lock lets one of them do it per period.
The job store's Lua-guarded SWEEP checks each job's status and last progress again at the moment it fails
it, so a sweep and a finishing chunk can never both win.
"""
from __future__ import annotations

import logging
from typing import Callable

from jobs.store import PREFIX, JobStore

log = logging.getLogger("capplan.jobs")
SWEEP_EVERY_S = 15
LOCK_KEY = f"{PREFIX}stall-sweep"


def no_progress_error(limit_s: float) -> dict:
    return {"code": "no_progress", "message": f"the job made no progress for {limit_s:g} seconds and was stopped",
            "status": 504}


class StallSweeper:
    """Fails jobs running without progress for more than ``limit_s`` seconds, once per ``every_s`` at most."""

    def __init__(self, store: JobStore, limit_s: float, every_s: float = SWEEP_EVERY_S,
                 on_failed: Callable[[list[str]], None] | None = None):
        self.store, self.limit_s, self.every_s = store, float(limit_s), every_s
        self.on_failed = on_failed        # told the ids of the jobs each sweep failed (their notify targets)

    def sweep_if_due(self, now: float | None = None) -> list[str]:
        """Sweep unless some process swept less than ``every_s`` ago; return the ids of the jobs failed."""
        if not self.store.redis.set(LOCK_KEY, "1", nx=True, ex=max(1, int(self.every_s))):
            return []
        return self.sweep(now)

    def sweep(self, now: float | None = None) -> list[str]:
        failed = self.store.fail_stalled(self.limit_s, no_progress_error(self.limit_s), now)
        for job_id in failed:
            log.warning("job failed: no progress", extra={"job_id": job_id, "limit_s": self.limit_s})
        if failed and self.on_failed is not None:
            self.on_failed(failed)
        return failed
