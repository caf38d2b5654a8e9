"""Each notification of a job, as its job record shows it: one field ``notify:{target}`` of the job's hash.

An entry is ``{target, type, attempts, status, last_error, delivered_at}``; status is queued, retrying,
delivered, failed or skipped (an Alertmanager told nothing: no breach was predicted). It lives and expires
with its job, and holds target names and error codes only, never a URL or a secret.
"""
from __future__ import annotations

import json

from jobs.store import NOTIFY_FIELD as FIELD_PREFIX, JobStore

# Only while the job exists: a late delivery must not recreate an expired job as a key without expiry.
RECORD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def entry(target: str, status: str, attempts: int = 0, event_type: str | None = None,
          last_error: dict | None = None, delivered_at: str | None = None) -> dict:
    return {"target": target, "type": event_type, "attempts": attempts, "status": status,
            "last_error": last_error, "delivered_at": delivered_at}


class NotificationLog:
    """Writes one job's notification entries into its record."""

    def __init__(self, store: JobStore):
        self.store = store
        self._record = store.redis.register_script(RECORD)

    def record(self, job_id: str, note: dict, pipe=None) -> None:
        self._record(keys=[self.store.key(job_id)], args=[FIELD_PREFIX + note["target"], json.dumps(note)],
                     client=pipe)

    def queued(self, job_id: str, targets: list[str]) -> None:
        """Each of ``targets`` is about to be told that the job finished."""
        p = self.store.redis.pipeline(transaction=False)
        for target in targets:
            self.record(job_id, entry(target, "queued"), pipe=p)
        p.execute()

    def current(self, job_id: str, target: str) -> dict | None:
        raw = self.store.redis.hget(self.store.key(job_id), FIELD_PREFIX + target)
        return None if raw is None else json.loads(raw)
