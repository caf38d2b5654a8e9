"""Metrics workers count in Redis so that the API's /metrics can expose them (workers serve no HTTP)."""
from __future__ import annotations

from jobs.store import PREFIX

INFERENCE_KEY = f"{PREFIX}metrics:inference"   # hash: count, sum, le_<bound> cumulative bucket counts
JOBS_KEY = f"{PREFIX}metrics:jobs"             # hash: "<kind>:<status>" -> finished jobs
NOTIFY_KEY = f"{PREFIX}metrics:notifications"  # hash: "<target>:<outcome>" -> delivery attempts
INFERENCE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class WorkerMetrics:
    """Counts model passes and finished jobs, sent to Redis in one round trip per task by ``flush``."""

    def __init__(self, client):
        self.client = client
        self.pending: list[tuple[str, str, float]] = []   # (command, field, amount)

    def observe_inference(self, seconds: float, series: int) -> None:
        self.pending += [("hincrby", "count", 1), ("hincrby", "series", series),
                         ("hincrbyfloat", "sum", seconds)]
        self.pending += [("hincrby", f"le_{b}", 1) for b in INFERENCE_BUCKETS if seconds <= b]

    def count_jobs(self, kind: str, status: str) -> None:
        self.pending.append(("jobs", f"{kind}:{status}", 1))

    def count_notification(self, target: str, outcome: str) -> None:
        """One delivery attempt to a configured target (its name): delivered, retried, failed or skipped."""
        self.pending.append(("notify", f"{target}:{outcome}", 1))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        p = self.client.pipeline(transaction=False)
        for command, field, amount in pending:
            if command in ("jobs", "notify"):
                p.hincrby(JOBS_KEY if command == "jobs" else NOTIFY_KEY, field, amount)
            else:
                getattr(p, command)(INFERENCE_KEY, field, amount)
        try:
            p.execute()
        except Exception:  # noqa: BLE001 - metrics are best effort and never fail a task
            pass
