"""GET /api/health: Redis reachability and the model state that live workers publish."""
from __future__ import annotations

from datetime import datetime, timezone

import redis
from flask import Blueprint, jsonify

from api.auth import auth_open, caller
from api.service import job_service
from jobs.heartbeats import live_workers

bp = Blueprint("health", __name__)


def health_report() -> tuple[dict, bool]:
    """The health body and whether the service can answer forecasts now."""
    service = job_service()
    try:
        workers, redis_ok = live_workers(service.redis), True   # its HGETALL fails when Redis is down
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        workers, redis_ok = [], False
    models = [w.get("model") or {} for w in workers]
    loaded = [m for m in models if m.get("loaded")]
    model = (loaded or models or [{}])[0]
    reasons = []
    if not redis_ok:
        reasons.append("redis unreachable")
    elif not workers:
        reasons.append("no live workers")
    elif not loaded:
        reasons.append(f"no worker has the model loaded: {model.get('error')}")
    healthy = not reasons
    return {
        "status": "healthy" if healthy else "degraded",
        "model_loaded": bool(loaded),
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "model": {"name": model.get("name"), "version": model.get("version"), "kind": model.get("kind"),
                  "precision": model.get("precision"), "serving": model.get("serving"),
                  "error": None if loaded else model.get("error")},
        "device": model.get("device"),
        "devices": sorted({m.get("device") for m in loaded if m.get("device")}),
        "redis": {"reachable": redis_ok},
        "workers": {"live": len(workers), "nodes": len({w.get("node") for w in workers}),
                    "queues": sorted({q for w in workers for q in w.get("queues") or ()})},
        "reasons": reasons,
    }, healthy


@bp.get("/api/health")
def health():
    """The whole report for a caller with a key (or where AUTH=open); without one, its status only."""
    body, healthy = health_report()
    if not auth_open() and caller() is None:
        body = {"status": body["status"]}
    response = jsonify(body)
    if not healthy:
        response.status_code = 503
        response.headers["Retry-After"] = "1"
    return response
