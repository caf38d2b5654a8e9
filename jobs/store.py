"""Job records, results and wake-ups in Redis under our own keys (Celery calls every unknown id PENDING).

Keys (all under ``capplan:``):
  job:{id}            hash: kind, status, created_at, started_at, finished_at, request, result | error,
                      request_id, total, unseen, tenant; expires RESULT_TTL after creation and again after
                      finishing, or SEEN_NEVER_TTL_S after finishing while ``unseen`` is 1: a synchronous
                      request answered 200 never showed its job id, so nobody can ask for it later
  known:{id}          its tenant for 30 days once a job id is shown: tells an expired id (410) from an unknown
                      (404), and another tenant's job from one's own
  job:{id}:done       list the worker pushes the finished body onto; a synchronous request BLPOPs it
  job:{id}:chunk:{i}  a batch's plans as the API normalised them: {offset, plans: [PlanEntry]}
  job:{id}:results    hash plan index -> per-plan result (a batch's progress is its length)
  job:{id}:chunks     set of finished chunk numbers
  job:{id}:plan_ids   hash a batch plan's id -> its index, the first in plan order where ids repeat; ids
                      that are their own index (the default) are left out: the index finds those
  idem:[{tenant}:]{key}  JSON {"job_id", "body_sha256"} for Idempotency-Key, per tenant (key: its SHA-256)
  running             sorted set: running job ids scored by their last progress in epoch seconds (when the
                      job started, then each time a chunk stored its results); the stall sweep (jobs.stalls)
                      fails those that made none for too long

Stored bodies (request, result, error, per-plan results) are compressed JSON (jobs.compact); values written
as plain JSON still read. A tenant's per-plan results count against its stored bytes (jobs.stored_bytes).

A tenant ("" where AUTH=open) owns its jobs: reads given a tenant see only that tenant's jobs; None sees all.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobs import store_scripts as scripts
from jobs.compact import pack, unpack
from jobs.stored_bytes import StoredBytes

PREFIX = "capplan:"
RUNNING_KEY = f"{PREFIX}running"
KNOWN_TTL_S = 30 * 24 * 3600
DONE_TTL_S = 300
SEEN_NEVER_TTL_S = 60
NOTIFY_FIELD = "notify:"          # jobs.notifications: one field per target told of the job's end
OPEN = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")


def redis_from_url(url: str, timeout: float = 1.0) -> redis.Redis:
    """A client that fails within ``timeout`` seconds when Redis is down, and reconnects by itself."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 1.0),
                                retry=Retry(NoBackoff(), 0), decode_responses=True,
                                health_check_interval=30)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_job_id() -> str:
    """128 random bits, unguessable, never starting with "-": `capplan schedule -4q1...` would be read as an
    option (one id in 64 did)."""
    while True:
        job_id = secrets.token_urlsafe(16)
        if not job_id.startswith("-"):
            return job_id


def body_digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different body."""

    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.job_id = job_id


class JobStore:
    """Reads and writes job records; ``blocking`` is a client whose socket timeout allows long BLPOPs."""

    def __init__(self, client: redis.Redis, ttl: int, blocking: redis.Redis | None = None):
        self.redis = client
        self.blocking = blocking or client
        self.ttl = int(ttl)
        self._create = client.register_script(scripts.CREATE)
        self._show = client.register_script(scripts.SHOW)
        self._start = client.register_script(scripts.START)
        self._finish = client.register_script(scripts.FINISH)
        self._sweep = client.register_script(scripts.SWEEP)
        self._cancel = client.register_script(scripts.CANCEL)
        self.stored_bytes = StoredBytes(client, self.ttl, PREFIX)

    @staticmethod
    def key(job_id: str, suffix: str = "") -> str:
        return f"{PREFIX}job:{job_id}{suffix}"

    # --- creation -------------------------------------------------------------------------
    def create(self, kind: str, request: dict, *, request_id: str | None = None, total: int = 1,
               job_id: str | None = None, pipe=None, shown: bool = True, tenant: str = "") -> str:
        """A queued job; ``shown=False`` for a synchronous request until its id is given out (``show``)."""
        job_id = job_id or new_job_id()
        record = {"kind": kind, "status": "queued", "created_at": utc_now(), "request": pack(request),
                  "request_id": request_id or "", "total": total, "unseen": "0" if shown else "1", "tenant": tenant}
        known = f"{PREFIX}known:{job_id}"
        if pipe is None:
            fields = [x for item in record.items() for x in item]
            self._create(keys=[self.key(job_id), known],
                         args=[self.ttl, KNOWN_TTL_S if shown else 0, *fields])
            return job_id
        pipe.hset(self.key(job_id), mapping=record)
        pipe.expire(self.key(job_id), self.ttl)
        pipe.set(known, tenant, ex=KNOWN_TTL_S)
        return job_id

    def show(self, job_id: str) -> None:
        """The job id is being given to a client: keep the job for RESULT_TTL and its id known."""
        self._show(keys=[self.key(job_id), f"{PREFIX}known:{job_id}"], args=[self.ttl, KNOWN_TTL_S])

    @staticmethod
    def idempotency_key(key: str, tenant: str = "") -> str:
        return f"{PREFIX}idem:{tenant + ':' if tenant else ''}{hashlib.sha256(key.encode()).hexdigest()}"

    def claim_idempotency_key(self, key: str, body: Any, job_id: str, tenant: str = "",
                              digest: str | None = None) -> str | None:
        """Bind ``key`` to ``job_id``; return the earlier job id when the key was used with this body (or the
        body whose ``body_digest`` is ``digest``: a batch digests its plans as it reads them)."""
        digest = digest or body_digest(body)
        idem = self.idempotency_key(key, tenant)
        if self.redis.set(idem, json.dumps({"job_id": job_id, "body_sha256": digest}), nx=True, ex=self.ttl):
            return None
        earlier = json.loads(self.redis.get(idem) or "{}")
        if earlier.get("body_sha256") != digest:
            raise IdempotencyConflict(earlier.get("job_id", ""))
        return earlier["job_id"]

    # --- reading ----------------------------------------------------------------------------
    def release_idempotency_key(self, key: str, job_id: str, tenant: str = "") -> None:
        """Unbind ``key`` from ``job_id``, a job that was refused before it was made."""
        idem = self.idempotency_key(key, tenant)
        if json.loads(self.redis.get(idem) or "{}").get("job_id") == job_id:
            self.redis.delete(idem)    # bound to our job for RESULT_TTL: nobody else can have claimed it since

    def get(self, job_id: str, tenant: str | None = None) -> dict | None:
        """The public job record, or None when absent or another tenant's (see ``was_issued``: 404 vs 410)."""
        raw = self.redis.hgetall(self.key(job_id))
        if not raw or (tenant is not None and raw.get("tenant", "") != tenant):
            return None
        record = {"job_id": job_id, "kind": raw.get("kind"), "status": raw.get("status"),
                  "progress": self._progress(job_id, raw),
                  "created_at": raw.get("created_at"), "started_at": raw.get("started_at"),
                  "finished_at": raw.get("finished_at")}
        if "result" in raw:
            record["result"] = unpack(raw["result"])
        if "error" in raw:
            record["error"] = unpack(raw["error"])
        notes = [json.loads(v) for k, v in sorted(raw.items()) if k.startswith(NOTIFY_FIELD)]
        if notes:
            record["notifications"] = notes          # written by jobs.notifications
        return record

    def _progress(self, job_id: str, raw: dict) -> dict:
        total = int(raw.get("total") or 1)
        if raw.get("kind") == "batch":
            done = self.redis.hlen(self.key(job_id, ":results"))
        else:
            done = total if raw.get("status") == "succeeded" else 0
        return {"done": done, "total": total}

    def was_issued(self, job_id: str, tenant: str | None = None) -> bool:
        known = self.redis.get(f"{PREFIX}known:{job_id}")
        return known is not None and (tenant is None or known == tenant)

    def load(self, job_ids: Iterable[str]) -> list[dict | None]:
        """Worker view: status, kind, request (parsed) and request id of each job, None when gone."""
        ids = list(job_ids)
        p = self.redis.pipeline(transaction=False)
        for job_id in ids:
            p.hmget(self.key(job_id), "status", "kind", "request", "request_id")
        out: list[dict | None] = []
        for job_id, (status, kind, request, request_id) in zip(ids, p.execute()):
            if status is None:
                out.append(None)
            else:
                out.append({"job_id": job_id, "status": status, "kind": kind,
                            "request": unpack(request or "{}"), "request_id": request_id or None})
        return out

    # --- transitions ------------------------------------------------------------------------
    def start(self, job_ids: Iterable[str]) -> list[bool]:
        """Mark queued jobs running; False for jobs that finished or were cancelled meanwhile."""
        now, epoch = utc_now(), time.time()
        p = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            self._start(keys=[self.key(job_id), RUNNING_KEY], args=[now, epoch, job_id], client=p)
        return [bool(x) for x in p.execute()]

    def finish_many(self, outcomes: Iterable[tuple[str, str, dict]]) -> list[bool]:
        """Store (job_id, "succeeded" | "failed", body) for each job and wake whoever waits on it; False for a
        job that had already finished (or was cancelled, swept or expired), which keeps its first end."""
        now = utc_now()
        p = self.redis.pipeline(transaction=False)
        for job_id, status, body in outcomes:
            self._finish(keys=self._ending_keys(job_id), args=self._ending_args(job_id, status, body, now),
                         client=p)
        return [bool(x) for x in p.execute()]

    def fail_stalled(self, limit_s: float, error: dict, now: float | None = None, most: int = 100) -> list[str]:
        """Fail running jobs whose last progress is more than ``limit_s`` seconds old with ``error``; return
        their ids. Each is checked again atomically, so a job that progressed or finished meanwhile stays."""
        cutoff = (time.time() if now is None else now) - limit_s
        stalled = self.redis.zrangebyscore(RUNNING_KEY, "-inf", cutoff, start=0, num=most)
        failed = []
        for job_id in stalled:
            args = self._ending_args(job_id, "failed", error, utc_now()) + [cutoff]
            if self._sweep(keys=self._ending_keys(job_id), args=args):
                failed.append(job_id)
        return failed

    def _ending_keys(self, job_id: str) -> list[str]:
        return [self.key(job_id), self.key(job_id, ":done"), RUNNING_KEY]

    def _ending_args(self, job_id: str, status: str, body: dict, now: str) -> list:
        field = "result" if status == "succeeded" else "error"
        done = json.dumps({"status": status, field: body})
        return [status, field, pack(body), now, self.ttl, done, DONE_TTL_S, SEEN_NEVER_TTL_S, job_id]

    def cancel(self, job_id: str) -> tuple[bool, str]:
        """Cancel a queued or running job: (whether this call cancelled it, its status now; '' when gone)."""
        done = json.dumps({"status": "cancelled"})
        changed, status = self._cancel(keys=[self.key(job_id), self.key(job_id, ":done"), RUNNING_KEY],
                                       args=[utc_now(), done, DONE_TTL_S, job_id])
        return bool(changed), status

    def status(self, job_id: str) -> str | None:
        return self.redis.hget(self.key(job_id), "status")

    def wait(self, job_id: str, timeout: float) -> dict | None:
        """Block until the job finishes (its body) or ``timeout`` seconds pass (None)."""
        if timeout <= 0:
            return None
        got = self.blocking.blpop([self.key(job_id, ":done")], timeout=timeout)
        return json.loads(got[1]) if got else None

    # --- batches ----------------------------------------------------------------------------
    def store_chunks(self, job_id: str, chunks: list[dict], pipe) -> None:
        self.store_packed_chunks(job_id, [pack(chunk) for chunk in chunks], pipe)

    def store_packed_chunks(self, job_id: str, chunks: list[str], pipe) -> None:
        """Chunks already packed (jobs.compact), as the API packs each while it reads the rest."""
        for i, chunk in enumerate(chunks):
            pipe.set(self.key(job_id, f":chunk:{i}"), chunk, ex=self.ttl)

    def store_plan_ids(self, job_id: str, plan_ids: list[str], pipe) -> None:
        """The index of each batch plan's id, in plan order: a plan's schedule is asked for by its id."""
        first: dict[str, int] = {}
        for index, plan_id in enumerate(plan_ids):
            first.setdefault(plan_id, index)
        named = {plan_id: index for plan_id, index in first.items() if plan_id != str(index)}
        if named:
            pipe.hset(self.key(job_id, ":plan_ids"), mapping=named)
            pipe.expire(self.key(job_id, ":plan_ids"), self.ttl)

    def plan_index(self, job_id: str, plan_id: str) -> int | None:
        """The index of the batch plan named ``plan_id``; None when the batch has no plan of that id."""
        found = self.redis.hget(self.key(job_id, ":plan_ids"), plan_id)
        if found is not None:
            return int(found)
        return int(plan_id) if plan_id.isdigit() and str(int(plan_id)) == plan_id else None

    def rewrite_batch(self, job_id: str, old_chunks: int, chunks: list[dict], request: dict) -> None:
        """A batch's plans chunked anew (per-series plans expanded): its chunks, plan count and request."""
        p = self.redis.pipeline(transaction=True)
        p.delete(*[self.key(job_id, f":chunk:{i}") for i in range(old_chunks)])
        self.store_chunks(job_id, chunks, p)
        p.delete(self.key(job_id, ":plan_ids"))
        self.store_plan_ids(job_id, [plan["id"] for c in chunks for plan in c["plans"]], p)
        p.hset(self.key(job_id), mapping={"total": sum(len(c["plans"]) for c in chunks), "request": pack(request)})
        p.zadd(RUNNING_KEY, {job_id: time.time()}, xx=True)
        p.execute()

    def drop_chunks(self, job_id: str, chunks: int) -> None:
        """A finished batch no longer needs its plans."""
        self.redis.delete(*[self.key(job_id, f":chunk:{i}") for i in range(chunks)])

    def load_chunk(self, job_id: str, index: int) -> dict | None:
        raw = self.redis.get(self.key(job_id, f":chunk:{index}"))
        return None if raw is None else unpack(raw)

    def save_plan_results(self, job_id: str, chunk: int, results: dict[int, dict]) -> int:
        """Store per-plan results of one chunk, mark it finished and the job as progressing now; return the
        finished chunk count."""
        epoch = time.time()
        p = self.redis.pipeline(transaction=True)
        p.zadd(RUNNING_KEY, {job_id: epoch}, xx=True)       # only while it runs: a finished job stays out
        if results:
            packed = {str(i): pack(r) for i, r in results.items()}
            p.hset(self.key(job_id, ":results"), mapping=packed)
            self.stored_bytes.charge(self.key(job_id), job_id, sum(map(len, packed.values())), pipe=p)
        p.expire(self.key(job_id, ":results"), self.ttl)
        p.sadd(self.key(job_id, ":chunks"), chunk)
        p.expire(self.key(job_id, ":chunks"), self.ttl)
        p.scard(self.key(job_id, ":chunks"))
        return int(p.execute()[-1])

    def plan_results(self, job_id: str, offset: int = 0, limit: int | None = None) -> list[dict]:
        """Per-plan results in plan order, from ``offset`` (missing ones are skipped)."""
        return [r for page in self.plan_result_pages(job_id, offset, limit) for r in page]

    def plan_result_pages(self, job_id: str, offset: int = 0, limit: int | None = None,
                          page: int = 1000) -> Iterator[list[dict]]:
        """``plan_results`` a page at a time: one HMGET of at most ``page`` plans each, read as it is asked."""
        total = int(self.redis.hget(self.key(job_id), "total") or 0)
        stop = total if limit is None else min(total, offset + limit)
        for start in range(offset, stop, page):
            fields = [str(i) for i in range(start, min(stop, start + page))]
            yield [unpack(v) for v in self.redis.hmget(self.key(job_id, ":results"), fields) if v]
