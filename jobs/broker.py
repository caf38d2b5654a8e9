"""Celery's broker settings for each kind of broker: Redis (the default) or RabbitMQ (AMQP).

The job store is Redis either way; only the queues move. The transport options of one broker mean
nothing (or something else) to the other, so each gets its own.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from capplan.config import Settings


def is_redis(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss")


def broker_settings(settings: Settings) -> dict:
    """Celery configuration that depends on the broker named by ``settings.broker_url``."""
    if is_redis(settings.broker_url):
        # Tasks of a worker that died whole (not just a pool process) go back to the queue once the
        # visibility timeout passes; sweep for them every 5 s instead of kombu's default 100 s. A worker
        # killed while it holds the sweep's lock would stop every sweep until the lock expires (kombu:
        # 300 s). jobs.inflight republishes them sooner, from the workers' heartbeats.
        return {"broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": 5, "unacked_restore_throttle": 1, "unacked_mutex_expire": 30,
            "socket_timeout": 5, "socket_connect_timeout": 2}}
    return {
        # RabbitMQ requeues a worker's unacknowledged deliveries when its connection closes: at once when
        # the process dies (the kernel closes the socket), within two missed heartbeats (about 60 s)
        # when its host vanishes. Its consumer_timeout (30 minutes by default) must outlast
        # TASK_TIME_LIMIT, since acks_late holds each delivery for a whole task (capplan.config checks).
        "broker_heartbeat": 30,
        # Wait for RabbitMQ to confirm each publish, so a task it did not take fails the job (503).
        "broker_transport_options": {"confirm_publish": True},
        # The broker redelivers a running task when the connection drops; stop it rather than run it twice.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
    }


def amqp_queue_depths(celery, queues) -> list[int]:
    """Messages ready in each RabbitMQ queue (a passive declare each); [] when RabbitMQ cannot say."""
    try:
        with celery.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
            channel = connection.default_channel
            return [channel.queue_declare(queue, passive=True).message_count for queue in queues]
    except Exception:  # noqa: BLE001 - unreachable, or a queue no worker has declared yet: no gauge
        return []
