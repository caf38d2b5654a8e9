"""A request id for every request (X-Request-ID in, out, in the logs and in the job) and an access log."""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from capplan.logs import request_id_var

log = logging.getLogger("capplan.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Paths that pollers repeat (the console's health banner every 15 s, load balancers, Prometheus): logged at
# DEBUG, like static files, so that INFO shows the requests someone made.
POLLED_PATHS = frozenset({"/api/health", "/metrics"})


def access_log_level(path: str, endpoint: str | None) -> int:
    """DEBUG for polls and static files (any blueprint's `static` endpoint), INFO for everything else."""
    is_static = (endpoint or "").rpartition(".")[2] == "static"
    return logging.DEBUG if path in POLLED_PATHS or is_static else logging.INFO


def init_request_log(app: Flask) -> None:
    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        request_id_var.set(g.request_id)

    @app.after_request
    def _access_log(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        level = access_log_level(request.path, request.endpoint)
        log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
            "status": response.status_code,
            "ms": round(1000 * (time.perf_counter() - g.get("request_started", time.perf_counter())), 2),
            **({"key": g.api_key.name, "tenant": g.api_key.tenant} if g.get("api_key") else {})})
        return response

    @app.teardown_request
    def _forget(_exc):
        request_id_var.set(None)
