"""Prometheus /metrics: request latency by endpoint, plus what Redis knows (queues, jobs, inference)."""
from __future__ import annotations

import time

import redis
from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from jobs.broker import amqp_queue_depths, is_redis
from jobs.heartbeats import live_workers
from jobs.metrics import INFERENCE_BUCKETS, INFERENCE_KEY, JOBS_KEY, NOTIFY_KEY
from jobs.queues import QUEUES

bp = Blueprint("metrics", __name__)
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Label values come from this list or are "other": a client that makes up methods must not make up series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


class RedisCollector:
    """Read at scrape time: queue depth, finished jobs by kind and status, inference times, live workers."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        service = self.app.extensions["capplan"]
        client = service.redis
        redis_broker = is_redis(service.settings.broker_url)
        try:
            p = client.pipeline(transaction=False)
            for queue in QUEUES if redis_broker else ():
                p.llen(queue)
            p.hgetall(JOBS_KEY)
            p.hgetall(INFERENCE_KEY)
            p.hgetall(NOTIFY_KEY)
            *depths, jobs, inference, notifications = p.execute()
            workers = len(live_workers(client))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            yield GaugeMetricFamily("capplan_redis_up", "1 when Redis answered this scrape", value=0)
            return
        yield GaugeMetricFamily("capplan_redis_up", "1 when Redis answered this scrape", value=1)
        if not redis_broker:
            depths = amqp_queue_depths(service.celery, QUEUES)
        depth = GaugeMetricFamily("capplan_queue_depth", "tasks waiting in a Celery queue", labels=["queue"])
        for queue, queue_depth in zip(QUEUES, depths):
            depth.add_metric([queue], queue_depth)
        yield depth
        yield GaugeMetricFamily("capplan_live_worker_processes", "worker processes with a fresh heartbeat",
                                value=workers)
        finished = CounterMetricFamily("capplan_jobs_finished", "jobs finished, by kind and status",
                                       labels=["kind", "status"])
        for key, count in sorted(jobs.items()):
            kind, _, status = key.partition(":")
            finished.add_metric([kind, status], float(count))
        yield finished
        # Labelled by the target's configured name, never its URL; outcome per delivery attempt.
        notified = CounterMetricFamily("capplan_notifications", "delivery attempts to configured notify targets, "
                                       "by target name and outcome", labels=["target", "outcome"])
        for key, count in sorted(notifications.items()):
            target, _, outcome = key.rpartition(":")
            notified.add_metric([target, outcome], float(count))
        yield notified
        cumulative = [(str(b), float(inference.get(f"le_{b}", 0))) for b in INFERENCE_BUCKETS]
        count = float(inference.get("count", 0))
        yield HistogramMetricFamily("capplan_model_inference_seconds", "time of one batched network pass",
                                    buckets=cumulative + [("+Inf", count)],
                                    sum_value=float(inference.get("sum", 0.0)))
        yield CounterMetricFamily("capplan_model_series", "series forecast by the workers",
                                  value=float(inference.get("series", 0)))


def init_metrics(app: Flask) -> None:
    """A registry per app (tests build many apps), the request latency hook and the /metrics view."""
    registry = CollectorRegistry()
    latency = Histogram("capplan_http_request_duration_seconds", "HTTP request latency",
                        ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=registry)
    created = Counter("capplan_jobs_created", "jobs created by the API", ["kind"], registry=registry)
    registry.register(RedisCollector(app))
    app.extensions["capplan_metrics"] = {"registry": registry, "jobs_created": created}

    @app.after_request
    def _observe(response):
        # The start time is the one api.request_log takes for the access log.
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        latency.labels(rule, method_label(request.method), str(response.status_code)).observe(
            time.perf_counter() - g.get("request_started", time.perf_counter()))
        return response


@bp.get("/metrics")
def metrics():
    from flask import current_app

    return Response(generate_latest(current_app.extensions["capplan_metrics"]["registry"]),
                    mimetype=CONTENT_TYPE_LATEST)


def count_job_created(kind: str) -> None:
    from flask import current_app

    current_app.extensions["capplan_metrics"]["jobs_created"].labels(kind).inc()
