"""Which worker process runs which task, so that a live worker can republish the tasks of a dead one.

With Redis as the broker, the task of a worker that died whole (main process included) waits in
kombu's ``unacked`` hash for the visibility timeout (twice TASK_TIME_LIMIT, 12 minutes by default).
Each task records itself here when it starts and removes itself when it ends; every few seconds one
live worker (whichever takes the lock) republishes, under the same task id, the tasks whose process
has no live heartbeat. Tasks are idempotent by job id, so when the broker restores the original
message later it finds its jobs finished. With RabbitMQ nothing is recorded: the broker requeues a
dead worker's deliveries itself as soon as its connection drops.

Keys (under ``capplan:``):
  inflight        hash task id -> JSON {process, task, args, queue, started_at}
  inflight:lock   held for SWEEP_EVERY_S by the worker that sweeps now
"""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

from jobs.heartbeats import HEARTBEAT_TTL_S, live_workers
from jobs.store import PREFIX

log = logging.getLogger("capplan.worker")
INFLIGHT_KEY = f"{PREFIX}inflight"
LOCK_KEY = f"{PREFIX}inflight:lock"
SWEEP_EVERY_S = 5.0
# A process publishes its first heartbeat only once its model is loaded: a task it started within this
# long may belong to a process that is alive but not yet counted.
ORPHAN_AFTER_S = HEARTBEAT_TTL_S + 12.0

# Delete a record only if it is still the one read: another process may have taken the task since.
_DELETE_IF = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""
# Forget a record only if this process still owns it (a redelivered copy may run elsewhere by now).
_FORGET = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and cjson.decode(raw)['process'] == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""

Send = Callable[[str, list, str, str], None]   # (task name, args, queue, task id) -> publishes it


def record(client, task_id: str, process: str, task: str, args: list, queue: str,
           now: float | None = None) -> None:
    """Task ``task_id`` now runs in ``process`` (a heartbeat's id); a later start of it overwrites this."""
    entry = {"process": process, "task": task, "args": list(args), "queue": queue,
             "started_at": time.time() if now is None else now}
    client.hset(INFLIGHT_KEY, task_id, json.dumps(entry))


def drop(client, task_id: str) -> None:
    """Task ``task_id`` must never be republished (its process was stopped at the hard time limit)."""
    client.hdel(INFLIGHT_KEY, task_id)


def forget(client, task_id: str, process: str) -> None:
    """Task ``task_id`` ended in ``process`` (succeeded, failed or retried)."""
    client.eval(_FORGET, 1, INFLIGHT_KEY, task_id, process)


def orphans(client, live: set[str], now: float) -> list[tuple[str, str, dict]]:
    """(task id, raw record, record) of the tasks whose process has no live heartbeat."""
    found = []
    for task_id, raw in client.hgetall(INFLIGHT_KEY).items():
        try:
            entry = json.loads(raw)
        except ValueError:
            client.hdel(INFLIGHT_KEY, task_id)
            continue
        if entry.get("process") not in live and now - entry.get("started_at", 0) > ORPHAN_AFTER_S:
            found.append((task_id, raw, entry))
    return found


def sweep(client, send: Send, now: float | None = None) -> list[str]:
    """Republish the tasks of dead processes, at most once per SWEEP_EVERY_S across all workers.

    Returns the ids of the tasks republished. Each record is taken (deleted) before its task is sent,
    so no two sweeps send one task; one that cannot be sent is put back for the next sweep.
    """
    if not client.set(LOCK_KEY, "1", nx=True, px=int(SWEEP_EVERY_S * 1000)):
        return []
    now = time.time() if now is None else now
    live = {w.get("id") for w in live_workers(client, now)}
    sent = []
    for task_id, raw, entry in orphans(client, live, now):
        if not client.eval(_DELETE_IF, 1, INFLIGHT_KEY, task_id, raw):
            continue
        try:
            send(entry["task"], entry["args"], entry["queue"], task_id)
        except Exception:
            client.hsetnx(INFLIGHT_KEY, task_id, raw)
            raise
        log.warning("republished the task of a dead worker process",
                    extra={"task_id": task_id, "task": entry["task"], "dead_process": entry["process"],
                           "queue": entry["queue"], "running_s": round(now - entry["started_at"], 1)})
        sent.append(task_id)
    return sent
