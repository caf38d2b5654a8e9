"""Celery tasks: thin. They take job ids, call the runner, and record failures in the job store."""
from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

import redis
from celery import current_app, shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from capplan.config import Settings, load_settings
from capplan.logs import configure_logging
from connectors.delivery import RetryableDelivery
from connectors.targets import Connectors, load_connectors
from jobs import inflight
from jobs.metrics import WorkerMetrics
from jobs.queues import BATCH_CHUNK_TASK, BATCH_QUEUE, EXPAND_BATCH_TASK, NOTIFY_QUEUE, NOTIFY_TASK, RUN_JOBS_TASK
from jobs.store import OPEN, JobStore, redis_from_url
from workers import batch_expansion, model_holder, notifications, recovery, runner
from workers.batch_runner import run_batch_chunk
from workers.sources import SourceClients

log = logging.getLogger("capplan.worker")
# Only a lost connection to Redis is worth retrying: the same input would fail the same way again.
RETRY_ON = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# How long a task waits in place for Redis to answer again, and how often it runs its (idempotent) work
# again after an outage, before it leaves the retry to Celery.
REDIS_WAIT_S = 60.0
REDIS_RUNS = 3
T = TypeVar("T")
# A delivery is retried when the target was unreachable, too slow or answered 5xx; a 4xx, a missing
# credential or an unknown target would fail the same way again.
DELIVERY_RETRY_ON = (RetryableDelivery, *RETRY_ON)

_queues: list[str] = []
_heartbeat: model_holder.Heartbeat | None = None
_store: JobStore | None = None
_metrics: WorkerMetrics | None = None
_sources: SourceClients | None = None
_connectors: Connectors | None = None


def _settings() -> Settings:
    return current_app.conf.get("capplan_settings") or load_settings()


def _job_store() -> JobStore:
    global _store, _metrics
    if _store is None:
        settings = _settings()
        client = redis_from_url(settings.REDIS_URL, timeout=5.0)
        _store, _metrics = JobStore(client, settings.RESULT_TTL), WorkerMetrics(client)
    return _store


def _source_clients() -> SourceClients:
    """This process's clients of the configured Prometheus targets (connections kept between tasks)."""
    global _sources
    if _sources is None:
        _sources = SourceClients(load_connectors(_settings().CAPPLAN_CONFIG))
    return _sources


@signals.setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    level = load_settings().LOG_LEVEL
    configure_logging(level)
    if level.upper() != "DEBUG":
        # Our own "job succeeded" line carries the request id; Celery's two lines per task add only cost.
        for name in ("celery.app.trace", "celery.worker.strategy"):
            logging.getLogger(name).setLevel("WARNING")


@signals.celeryd_after_setup.connect
def _remember_queues(sender, instance, **_kwargs) -> None:
    _queues[:] = sorted(instance.app.amqp.queues.consume_from or ())


@signals.worker_process_init.connect
def _child_started(**_kwargs) -> None:
    """In each pool process, after the fork: fresh clients, then load the model and start heartbeats."""
    global _heartbeat, _store, _metrics, _sources
    _store = _metrics = _sources = None
    model_holder.forget_forecaster()
    _heartbeat = model_holder.Heartbeat(_settings(), list(_queues),
                                        on_beat=recovery.republisher(current_app._get_current_object(), _settings()),
                                        on_swept=_announce_swept)
    _heartbeat.start()


@signals.worker_process_shutdown.connect
def _child_stopping(**_kwargs) -> None:
    if _heartbeat is not None:
        _heartbeat.stopped.set()
        _heartbeat.join(timeout=2)


def _wait_for_redis(client: redis.Redis, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return bool(client.ping())
        except RETRY_ON:
            time.sleep(0.5)
    return False


def through_redis_outages(work: Callable[[], T], client: redis.Redis, wait_s: float = REDIS_WAIT_S,
                          runs: int = REDIS_RUNS) -> T:
    """``work()``; when Redis goes away under it, wait for Redis here and run it again (tasks are idempotent).

    Celery's own retry would publish a new message to the broker that is down, fail, and leave the task's
    message unacknowledged until the visibility timeout (12 minutes by default): the job would stall.
    """
    for run in range(1, runs + 1):
        try:
            return work()
        except RETRY_ON:
            if run == runs or not _wait_for_redis(client, wait_s):
                raise
            log.warning("Redis was away; it answers again, so the task runs again", extra={"run": run + 1})
    raise AssertionError("unreachable")


def _targets() -> Connectors:
    global _connectors
    if _connectors is None:
        _connectors = load_connectors(_settings().CAPPLAN_CONFIG)
    return _connectors


def _send_delivery(job_id: str, target: str) -> None:
    current_app.send_task(NOTIFY_TASK, args=[job_id, target], queue=NOTIFY_QUEUE)


def _announce(records: list[dict]) -> None:
    """Queue the deliveries of jobs just finished; a job's end stands even when they cannot be queued."""
    try:
        notifications.announce(_job_store(), _send_delivery, records)
    except Exception:  # noqa: BLE001 - the broker or Redis is down: the jobs' results are stored all the same
        log.warning("notifications not queued", exc_info=True, extra={"job_ids": [r["job_id"] for r in records]})


def _announce_swept(job_ids: list[str]) -> None:
    """The jobs the stall sweep failed tell their targets, as any job that ends does."""
    _announce([r for r in _job_store().load(job_ids) if r])


def _fail_open_jobs(job_ids: list[str], code: str, message: str, status: int) -> None:
    store = _job_store()
    records = [r for r in store.load(job_ids) if r and r["status"] in OPEN]
    won = store.finish_many((r["job_id"], "failed", {"code": code, "message": message, "status": status})
                            for r in records)
    _announce([r for r, ok in zip(records, won) if ok])


@signals.task_failure.connect
def _hard_time_limit(sender=None, task_id=None, exception=None, args=None, **_kwargs) -> None:
    """In the main process, when a task's pool process was stopped at TASK_TIME_LIMIT: its jobs fail with
    the reason, and its in-flight record goes, so that no sweep republishes a task that would only be
    stopped again. (The soft limit, in the task, does the same for a task that can still react.)"""
    if not isinstance(exception, TimeLimitExceeded) or sender is None:
        return
    job_ids = list(args[0]) if sender.name == RUN_JOBS_TASK else [args[0]]
    try:
        _fail_open_jobs(job_ids, "timeout", "the job ran past its hard time limit, and its worker process "
                        "was stopped", 504)
        inflight.drop(_job_store().redis, task_id)
    except RETRY_ON:
        log.warning("could not record a hard time limit: Redis is away", extra={"job_ids": job_ids})


@shared_task(name=RUN_JOBS_TASK, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def run_jobs(job_ids: list[str]) -> int:
    """Forecast (and plan) a group of jobs in one network pass; idempotent per job id."""
    store = _job_store()
    try:
        return through_redis_outages(lambda: runner.run_jobs(
            store, model_holder.get_forecaster(_settings()), job_ids, _metrics, _source_clients(), _announce),
            store.redis)
    except SoftTimeLimitExceeded:
        _fail_open_jobs(job_ids, "timeout", "the job ran past its time limit", 504)
        raise
    except RETRY_ON:
        raise
    except Exception:
        log.exception("jobs failed", extra={"job_ids": job_ids})
        _fail_open_jobs(job_ids, "internal_error", "the worker failed on this job", 500)
        raise


@shared_task(name=BATCH_CHUNK_TASK, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def run_batch(job_id: str, chunk: int, chunks: int) -> int:
    """Plan one chunk of a batch with one network pass; the last chunk to finish closes the job."""
    store = _job_store()
    try:
        return through_redis_outages(lambda: run_batch_chunk(
            store, model_holder.get_forecaster(_settings()), job_id, chunk, chunks, _metrics, _source_clients(),
            _announce), store.redis)
    except SoftTimeLimitExceeded:
        _fail_open_jobs([job_id], "timeout", "a batch chunk ran past its time limit", 504)
        raise
    except RETRY_ON:
        raise
    except Exception:
        log.exception("batch chunk failed", extra={"job_id": job_id, "chunk": chunk})
        _fail_open_jobs([job_id], "chunk_failed", "a chunk of this batch failed; the batch was stopped", 500)
        raise


@shared_task(name=EXPAND_BATCH_TASK, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def expand_batch(job_id: str, chunks: int) -> int:
    """Turn a batch's plan_per_series plans into one plan per series, then send its chunk tasks."""
    store = _job_store()
    try:
        count = batch_expansion.expand_batch(store, _source_clients(), job_id, chunks, _settings().BATCH_CHUNK_SIZE)
    except SoftTimeLimitExceeded:
        _fail_open_jobs([job_id], "timeout", "expanding the batch's plans per series ran past its time limit", 504)
        raise
    except RETRY_ON:
        raise
    except Exception:
        log.exception("batch expansion failed", extra={"job_id": job_id})
        _fail_open_jobs([job_id], "expansion_failed", "the batch's plans could not be expanded per series", 500)
        raise
    app = current_app._get_current_object()
    with app.producer_or_acquire() as producer:
        for chunk in range(count):
            app.send_task(BATCH_CHUNK_TASK, args=[job_id, chunk, count], queue=BATCH_QUEUE, producer=producer,
                          argsrepr=f"[{job_id!r}, {chunk}, {count}]")
    return count
# Retried by hand rather than with autoretry_for: Celery's retry_backoff is fixed when the task is defined,
# and the first wait is a setting (NOTIFY_RETRY_BACKOFF_S) read at run time.
@shared_task(name=NOTIFY_TASK, bind=True, max_retries=notifications.MAX_ATTEMPTS - 1)
def notify(self, job_id: str, target: str) -> str:
    """Tell ``target`` (a configured name) that job ``job_id`` ended; retried with exponential backoff."""
    retries = self.request.retries
    store = _job_store()
    try:
        return notifications.deliver(store, _targets(), job_id, target, attempt=retries + 1,
                                     final=retries >= self.max_retries, metrics=_metrics,
                                     public_url=_settings().PUBLIC_URL)
    except DELIVERY_RETRY_ON as e:
        wait = notifications.backoff_s(_settings().NOTIFY_RETRY_BACKOFF_S, retries)
        raise self.retry(exc=e, countdown=random.uniform(wait / 2, wait)) from None
    finally:
        if _metrics is not None:
            _metrics.flush()
