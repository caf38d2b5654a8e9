"""Recovery without the visibility timeout, with Redis as the broker: each task says where it runs
(jobs.inflight), and each worker's heartbeat republishes the tasks of processes that died."""
from __future__ import annotations

import logging
import os

from celery import Celery, current_app, signals

from capplan.config import Settings, load_settings
from jobs import inflight
from jobs.broker import is_redis
from jobs.store import redis_from_url
from workers.model_holder import process_id

log = logging.getLogger("capplan.worker")
_client: tuple[int, object] | None = None     # (pid, Redis client): a client never crosses a fork


def _settings() -> Settings:
    return current_app.conf.get("capplan_settings") or load_settings()


def _redis():
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis_from_url(_settings().REDIS_URL, timeout=2.0))
    return _client[1]


def _recording() -> bool:
    return is_redis(_settings().broker_url)


@signals.task_prerun.connect
def _task_started(task_id, task, args, **_kwargs) -> None:
    if not _recording():
        return
    queue = (task.request.delivery_info or {}).get("routing_key") or task.app.conf.task_default_queue
    try:
        inflight.record(_redis(), task_id, process_id(), task.name, list(args or ()), queue)
    except Exception:  # noqa: BLE001 - the task itself reports a Redis outage; recovery is best effort
        log.warning("could not record the task's process", exc_info=True)


@signals.task_postrun.connect
def _task_ended(task_id, **_kwargs) -> None:
    if not _recording():
        return
    try:
        inflight.forget(_redis(), task_id, process_id())
    except Exception:  # noqa: BLE001
        log.warning("could not forget the task's process", exc_info=True)


def republisher(app: Celery, settings: Settings):
    """What a heartbeat calls after each beat: a sweep of dead processes' tasks, or None (RabbitMQ)."""
    if not is_redis(settings.broker_url):
        return None

    def send(task: str, args: list, queue: str, task_id: str) -> None:
        app.send_task(task, args=args, queue=queue, task_id=task_id)

    def sweep(client) -> None:
        inflight.sweep(client, send)

    return sweep
