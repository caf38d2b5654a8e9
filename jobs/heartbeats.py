"""Worker heartbeats in Redis: workers publish their model's state, the API's health check reads them."""
from __future__ import annotations

import json
import time

from jobs.store import PREFIX

WORKERS_KEY = f"{PREFIX}workers"   # hash: worker process id -> JSON heartbeat record
HEARTBEAT_EVERY_S = 2.0
HEARTBEAT_TTL_S = 8.0


def publish(client, process: str, record: dict) -> None:
    client.hset(WORKERS_KEY, process, json.dumps({**record, "expires_at": time.time() + HEARTBEAT_TTL_S}))


def live_workers(client, now: float | None = None) -> list[dict]:
    """Heartbeat records that have not expired; expired ones are removed."""
    now = time.time() if now is None else now
    live, stale = [], []
    for process, raw in client.hgetall(WORKERS_KEY).items():
        try:
            record = json.loads(raw)
        except ValueError:
            record = {}
        if record.get("expires_at", 0) > now:
            live.append(record)
        else:
            stale.append(process)
    if stale:
        client.hdel(WORKERS_KEY, *stale)
    return live
