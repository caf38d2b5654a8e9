"""The API's connections: Redis clients, the job store, the Celery app to publish with, the dispatcher.

Built by create_app without connecting to anything; connections open on first use.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from functools import partial

import redis
from flask import current_app

from api.dispatch import JobDispatcher
from api.schemas.notify import CONTEXT_KEY
from api.schemas.source import SOURCE_TARGETS
from api.wait_slots import WaitSlots
from capplan.config import Settings
from connectors.targets import NOTIFY_KINDS, load_connectors
from jobs.heartbeats import live_workers
from jobs.store import JobStore, redis_from_url
from jobs.queues import (BATCH_CHUNK_TASK, BATCH_QUEUE, EXPAND_BATCH_TASK, INTERACTIVE_QUEUE, RUN_JOBS_TASK,
                         create_celery, jobs_queue)
from jobs.tenant_jobs import TenantJobs

MAX_PREFER_WAIT_S = 60.0
WORKER_COUNT_EVERY_S = 5.0


class JobService:
    """Everything a view needs to create, publish, wait for and read jobs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.redis = redis_from_url(settings.REDIS_URL, timeout=0.5)   # Redis down: 503 well within 1 s
        # BLPOP blocks up to the longest wait a request may ask for, so this client's timeout is longer.
        self.blocking = redis_from_url(settings.REDIS_URL, timeout=max(settings.SYNC_WAIT_S,
                                                                       MAX_PREFER_WAIT_S) + 2.0)
        self.store = JobStore(self.redis, settings.RESULT_TTL, blocking=self.blocking)
        self.tenant_jobs = TenantJobs(self.redis, settings.RESULT_TTL)
        self.celery = create_celery(settings)
        # The dispatcher's groups are waited for: they go to the interactive queue.
        self.dispatcher = JobDispatcher(partial(self.publish_jobs, waited_for=True), self._publish_failed)
        self.wait_slots = WaitSlots(settings.SYNC_MAX_WAITING)
        # Read once, at start, as the keys are: a bad target stops the API before it serves anything. The API
        # only checks the names a request gives; the workers make the calls.
        self.connectors = load_connectors(settings.CAPPLAN_CONFIG)
        self._contexts: dict[str | None, dict] = {}
        self._sized_at = float("-inf")

    def context_for(self, tenant: str | None) -> dict:
        """Pydantic's validation context for a caller of ``tenant``: the targets it may name (only those, so
        that a refusal lists no other team's targets)."""
        context = self._contexts.get(tenant)
        if context is None:
            names = self.connectors.names
            context = self._contexts[tenant] = {
                SOURCE_TARGETS: names("prometheus", tenant),
                CONTEXT_KEY: frozenset(name for kind in NOTIFY_KINDS for name in names(kind, tenant))}
        return context

    def publish_jobs(self, job_ids: list[str], waited_for: bool = False) -> None:
        if waited_for:
            self._size_dispatcher()
        # argsrepr given: Celery would otherwise saferepr() the arguments of every message.
        self.celery.send_task(RUN_JOBS_TASK, args=[job_ids], queue=jobs_queue(waited_for),
                              argsrepr=f"[{len(job_ids)} job ids]")

    def _size_dispatcher(self) -> None:
        """Keep one group per live interactive worker process in flight, plus one queued (checked every few s)."""
        now = time.monotonic()
        if now - self._sized_at < WORKER_COUNT_EVERY_S:
            return
        self._sized_at = now
        try:
            processes = sum(INTERACTIVE_QUEUE in (w.get("queues") or ()) for w in live_workers(self.redis))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return
        self.dispatcher.max_in_flight = max(2, processes + 1)

    def publish_batch(self, job_id: str, chunks: int) -> None:
        with self.celery.producer_or_acquire() as producer:
            for chunk in range(chunks):
                self.celery.send_task(BATCH_CHUNK_TASK, args=[job_id, chunk, chunks], queue=BATCH_QUEUE,
                                      producer=producer, argsrepr=f"[{job_id!r}, {chunk}, {chunks}]")

    def publish_expansion(self, job_id: str, chunks: int) -> None:
        """A batch whose plans expand per series: one task expands them, then sends the chunks itself."""
        self.celery.send_task(EXPAND_BATCH_TASK, args=[job_id, chunks], queue=BATCH_QUEUE,
                              argsrepr=f"[{job_id!r}, {chunks}]")

    @contextmanager
    def failing_jobs_on_error(self, job_ids: list[str]):
        """Publish inside this block: if it fails, the jobs fail too instead of staying queued forever."""
        try:
            yield
        except Exception as exc:
            try:
                self._publish_failed(job_ids, exc)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                pass   # Redis is down too: nothing to record the failure in
            raise

    def _publish_failed(self, job_ids: list[str], exc: Exception) -> None:
        body = {"code": "service_unavailable", "message": "the job queue is unreachable; retry shortly",
                "status": 503}
        self.store.finish_many((job_id, "failed", body) for job_id in job_ids)


def job_service() -> JobService:
    return current_app.extensions["capplan"]
