"""Limits per API key: submissions per time (Flask-Limiter, counted in Redis) and each tenant's open jobs
and stored results.

The first two apply with AUTH=keys only: they are per key and per tenant. The stored bytes apply always:
with AUTH=open every caller shares one budget (tenant ""), since Redis's memory is shared all the same.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, jsonify
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from api.auth import caller, owner
from api.errors import ServiceError, error_body
from capplan.config import ConfigError, Settings

RATE_LIMIT_PREFIX = "capplan:ratelimit"     # beside the service's other keys in the shared Redis
TOO_MANY_JOBS_RETRY_S = 5


class TooManyJobs(ServiceError):
    status = 429
    code = "too_many_jobs"


class StorageFull(ServiceError):
    status = 429
    code = "storage_full"


def init_limits(app: Flask, settings: Settings, redis_pool, submissions) -> Limiter | None:
    """Rate-limit each key's POSTs to the ``submissions`` blueprint, shared by its endpoints."""
    if settings.AUTH == "open":
        return None
    _check_rate_limits(settings, app.extensions["capplan_keys"])
    # Moving window: no more than the limit in any window of its length, so no double burst at a boundary.
    # The job store's connection pool: the same Redis, timeouts and 503 when it is down. No headers on
    # every answer: Flask-Limiter's Retry-After on a 202 would read as "poll the job after a minute".
    limiter = Limiter(key_func=lambda: caller().name, strategy="moving-window", headers_enabled=False,
                      storage_uri=settings.REDIS_URL,
                      storage_options={"connection_pool": redis_pool, "key_prefix": RATE_LIMIT_PREFIX})
    limiter.init_app(app)
    limiter.shared_limit(_rate_limit, scope="submissions", methods=["POST"])(submissions)
    app.extensions["capplan_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    return limiter


def _rate_limit() -> str:
    key = caller()
    return key.rate_limit or current_app.config["CAPPLAN"].RATE_LIMIT


def _check_rate_limits(settings: Settings, keyring) -> None:
    """Refuse to start on a limit Flask-Limiter cannot read, naming where it is set."""
    for where, text in [("RATE_LIMIT", settings.RATE_LIMIT)] + [
            (f"[keys.{key.name}] rate_limit", key.rate_limit) for key in keyring.keys if key.rate_limit]:
        try:
            parse_many(text)
        except ValueError:
            raise ConfigError(f'{where} must be a rate limit such as "600/minute", got {text!r}') from None


def _rate_limited(e: RateLimitExceeded):
    """429 in the API's error shape, with Retry-After: when the oldest submission in the window leaves it."""
    key = caller()
    limit = str(e.limit.limit)
    response = jsonify(error_body("rate_limited", f"too many submissions with key {key.name}: at most {limit}",
                                  {"rate_limit": f"at most {limit} per key"}))
    response.status_code = 429
    breached = current_app.extensions["capplan_limiter"].current_limit
    wait = breached.reset_at - time.time() if breached else e.limit.limit.get_expiry()
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def admit_job(tenant_jobs, stored_bytes, job_id: str) -> None:
    """Count ``job_id`` among its tenant's open jobs; 429 when the tenant is at its cap of open jobs or over
    its cap of stored bytes."""
    check_stored_bytes(stored_bytes, owner())
    key = caller()
    if key is None:
        return                                  # AUTH=open: no tenants, no cap
    cap = key.max_jobs if key.max_jobs is not None else current_app.config["CAPPLAN"].MAX_JOBS_PER_TENANT
    admitted, open_jobs = tenant_jobs.admit(key.tenant, job_id, cap)
    if not admitted:
        raise TooManyJobs(f"tenant {key.tenant} has {open_jobs} queued or running job{'' if open_jobs == 1 else 's'}, "
                          f"its cap (max_jobs {cap}): wait for some to finish, or cancel some",
                          {"max_jobs": f"at most {cap} queued or running jobs for tenant {key.tenant}"},
                          headers={"Retry-After": str(TOO_MANY_JOBS_RETRY_S)})


def check_stored_bytes(stored_bytes, tenant: str) -> None:
    """429 ``storage_full`` while the tenant's stored results are at MAX_STORED_BYTES_PER_TENANT or over it,
    with Retry-After: when the first of them expires."""
    cap = current_app.config["CAPPLAN"].MAX_STORED_BYTES_PER_TENANT
    if cap <= 0:
        return
    stored, first_expiry_s = stored_bytes.usage(tenant)
    if stored < cap:
        return
    who = f"tenant {tenant}" if tenant else "this service (AUTH=open: one budget)"
    raise StorageFull(f"{who} stores {stored} bytes of results, at or over its cap (MAX_STORED_BYTES_PER_TENANT "
                      f"{cap}): results expire RESULT_TTL after they are stored",
                      {"max_stored_bytes": f"at most {cap} bytes of stored results for {who}"},
                      headers={"Retry-After": str(max(1, math.ceil(first_expiry_s)))})
