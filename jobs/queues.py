"""Queue and task names, and the Celery app made from Settings (Flask's celery_init_app pattern).

The API builds it to publish, the workers to consume: one configuration, so routes and serialisation
cannot drift apart. Tasks are named, not imported: the API never imports the workers.
"""
from __future__ import annotations

from typing import Iterable

from celery import Celery
from kombu import Queue

from capplan.config import Settings, load_settings
from jobs.broker import broker_settings

# Three queues, so that what a client waits for never queues behind what it does not. Each queue gets
# its own worker processes (`capplan run --interactive`, Compose's worker-interactive): with the Redis
# transport a worker that lists several queues only alternates between them, and even one told to take
# them in order (kombu's queue_order_strategy="priority") takes interactive work only once the task it
# runs, a batch chunk say, is over. Only capacity that never takes other work guarantees it.
INTERACTIVE_QUEUE = "interactive"   # jobs a request waits for: synchronous forecasts, recommendations
FORECAST_QUEUE = "forecast"         # jobs answered 202 at once: analyses, Prefer: respond-async
BATCH_QUEUE = "batch"               # chunks of batch jobs
QUEUES = (INTERACTIVE_QUEUE, FORECAST_QUEUE, BATCH_QUEUE)
WORKER_QUEUES = {"interactive": (INTERACTIVE_QUEUE,), "bulk": (FORECAST_QUEUE, BATCH_QUEUE)}
RUN_JOBS_TASK = "capplan.run_jobs"
BATCH_CHUNK_TASK = "capplan.run_batch_chunk"
# A batch with plan_per_series plans: a worker queries, writes one plan per series, then sends the chunks.
EXPAND_BATCH_TASK = "capplan.expand_batch"
NOTIFY_TASK = "capplan.notify"
# Deliveries wait on other systems, not on the model: they go with the jobs nobody waits for, never
# onto the interactive queue whose capacity is kept for requests that wait.
NOTIFY_QUEUE = FORECAST_QUEUE


def jobs_queue(waited_for: bool) -> str:
    """The queue of a group of forecasting jobs: interactive when a request waits for it, else forecast."""
    return INTERACTIVE_QUEUE if waited_for else FORECAST_QUEUE


def create_celery(settings: Settings | None = None, include: Iterable[str] = ()) -> Celery:
    """A Celery app on ``settings.broker_url`` (Redis or RabbitMQ); ``include``: the workers' task modules.

    It connects to nothing until a task is sent or a worker starts.
    """
    settings = settings or load_settings()
    app = Celery("capplan", broker=settings.broker_url, include=list(include))
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Job state and results are ours (jobs.store); Celery's backend would only add PENDING noise.
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
        task_time_limit=settings.TASK_TIME_LIMIT,
        broker_connection_retry_on_startup=True,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue=FORECAST_QUEUE,
        task_routes={RUN_JOBS_TASK: {"queue": FORECAST_QUEUE}, BATCH_CHUNK_TASK: {"queue": BATCH_QUEUE},
                     EXPAND_BATCH_TASK: {"queue": BATCH_QUEUE}, NOTIFY_TASK: {"queue": NOTIFY_QUEUE}},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        # Off unless CELERY_REMOTE_CONTROL: no pidbox queue, so nothing that reaches Redis can inspect,
        # revoke or shut down the workers through it; capplan never uses it (Flower does).
        worker_enable_remote_control=settings.CELERY_REMOTE_CONTROL,
        **broker_settings(settings),
    )
    app.conf.capplan_settings = settings
    return app
