"""Errors that carry an HTTP status and a dict, and the one place that turns every error into JSON."""
from __future__ import annotations

import logging

import redis
from flask import Flask, g, jsonify
from kombu.exceptions import OperationalError as BrokerUnreachable
from werkzeug.exceptions import HTTPException

from capplan.errors import InvalidRequest, ServiceError  # noqa: F401 - re-exported for views

log = logging.getLogger("capplan.api")


class ServiceUnavailable(ServiceError):
    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, retry_after_s: int = 1, **kw):
        super().__init__(message, headers={"Retry-After": str(retry_after_s)}, **kw)


class NotFound(ServiceError):
    status = 404
    code = "not_found"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"success": False, "error": {"code": code, "message": message, "fields": fields or {}}}


def _respond(status: int, code: str, message: str, fields=None, headers=None):
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def redis_is_full(e: Exception) -> bool:
    """Redis at maxmemory refused a write: OutOfMemoryError, or its "-OOM" text inside a script's error."""
    return isinstance(e, redis.exceptions.OutOfMemoryError) or "OOM command not allowed" in str(e)


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, HTTP errors, Redis outages and anything unexpected to JSON bodies."""
    from planning import PlanValidationError

    @app.errorhandler(ServiceError)
    def service_error(e: ServiceError):
        return _respond(e.status, e.code, e.message, e.fields, e.headers)

    @app.errorhandler(PlanValidationError)
    def plan_error(e: PlanValidationError):
        return _respond(400, "validation_error", str(e), dict(getattr(e, "fields", {}) or {}))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_")
        message = e.description or e.name
        if e.code == 413:
            message = f"request body larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        # Keep what the error says besides its body (405's Allow); the body is ours.
        headers = {k: v for k, v in e.get_headers() if k.lower() != "content-type"}
        return _respond(e.code or 500, code, message, headers=headers)

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def redis_down(e: Exception):
        log.warning("redis unreachable: %s", e)
        return _respond(503, "service_unavailable", "the job store is unreachable; retry shortly",
                        headers={"Retry-After": "1"})

    @app.errorhandler(redis.exceptions.ResponseError)
    def redis_refused(e: Exception):
        if not redis_is_full(e):
            return unexpected(e)
        # maxmemory with noeviction: Redis refuses writes rather than dropping jobs; the operator must act.
        log.error("redis refused a write at maxmemory: %s", e)
        return _respond(503, "service_unavailable", "the job store is full; retry later",
                        headers={"Retry-After": "5"})

    @app.errorhandler(BrokerUnreachable)
    def broker_down(e: Exception):
        log.warning("job queue unreachable: %s", e)
        return _respond(503, "service_unavailable", "the job queue is unreachable; retry shortly",
                        headers={"Retry-After": "1"})

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error")
        request_id = getattr(g, "request_id", None)
        return _respond(500, "internal_error", f"internal error (request id {request_id})")
