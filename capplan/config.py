"""Settings shared by the API and the workers: defaults, then the environment, then an override."""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL_DIR = REPO_ROOT / "models" / "artifacts"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
# RabbitMQ closes a consumer's channel when a delivery stays unacknowledged this long (its default
# consumer_timeout); acks_late holds a delivery for a whole task, so tasks must end sooner.
RABBITMQ_CONSUMER_TIMEOUT_S = 1800
MEMORY = re.compile(r"^\d+(?:[kmg]b?)?$", re.IGNORECASE)   # what redis.conf takes for a size


class ConfigError(ValueError):
    """A setting from the environment or an override has an unusable value."""


@dataclass(frozen=True)
class Settings:
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    # Celery's broker: empty for REDIS_URL, or amqp://user:password@host:5672/vhost for RabbitMQ, which
    # returns a dead worker's unacknowledged tasks as soon as its connection drops. Jobs stay in Redis.
    BROKER_URL: str = ""
    MODEL_DIR: str = str(SHIPPED_MODEL_DIR)
    PORT: int = 5000
    SYNC_MAX_HOURS: int = 48
    SYNC_WAIT_S: float = 10.0
    # Requests of one API process that may wait for a result at once; beyond it they answer 202 at once.
    # Keep it under gunicorn's threads (GUNICORN_THREADS, 32): the rest serve health checks and polls.
    SYNC_MAX_WAITING: int = 24
    RESULT_TTL: int = 24 * 3600
    FORECAST_DEVICE: str = "auto"
    # The network encoder's precision, one for the whole deployment so that every worker serves the
    # same numbers: fp32, or bf16 (faster only on CPUs that compute bfloat16 natively).
    FORECAST_PRECISION: str = "fp32"
    # Overrides of the model's stored serving options, "name=value,..." ("off" switches one off); the
    # model checks them when a worker loads it (models.serving_config.parse_overrides).
    FORECAST_SERVING: str = ""
    LOG_LEVEL: str = "INFO"
    MAX_CONTENT_LENGTH: int = 2 * 1024 * 1024
    # POST /api/capacity/batch reads up to this many bytes of plans (after gzip is undone; the upload is held
    # to it too), in place of MAX_CONTENT_LENGTH: 10,000 plans with four weeks of hourly history fit.
    MAX_BATCH_BYTES: int = 64 * 1024 * 1024
    # Pickled scalers of the original service's model load only when listed in a manifest
    # beside them or when this is true (a pickle runs code when it is loaded).
    ALLOW_UNSAFE_PICKLE: bool = False
    # Plans per Celery task of a batch job: one network pass per chunk.
    BATCH_CHUNK_SIZE: int = 250
    # Celery time limits (seconds) for a task (a soft limit of 0: none, the hard one stops it alone); the
    # broker's visibility timeout is longer.
    TASK_SOFT_TIME_LIMIT: int = 300
    TASK_TIME_LIMIT: int = 360
    ENV: str = "production"
    # The Redis that `capplan run` starts when none answers holds at most this much, then refuses writes
    # (noeviction); Redis's own units: 512mb, 2gb, 0 for no limit.
    REDIS_MAXMEMORY: str = "512mb"
    # Celery's remote control (inspect, ping, revoke, shutdown through the broker): off, since nothing in
    # capplan uses it and anyone who can write to Redis could command the workers; Flower needs it on.
    CELERY_REMOTE_CONTROL: bool = False
    # The address the API listens on (gunicorn's bind): it decides AUTH's default.
    HOST: str = "0.0.0.0"
    # keys: every /api call needs an API key (the default unless HOST is a loopback address); open: none.
    AUTH: str = ""
    # A TOML file whose [keys.NAME] tables list the API keys (their SHA-256), tenants and limits.
    CAPPLAN_CONFIG: str = ""
    # Submissions (POSTs) per key, in Flask-Limiter's notation; a key's rate_limit overrides it.
    RATE_LIMIT: str = "600/minute"
    # Queued and running jobs per tenant (0: no cap); a key's max_jobs overrides it.
    MAX_JOBS_PER_TENANT: int = 100
    # Bytes of stored results per tenant (compressed; one budget for all where AUTH=open; 0: no cap): over it,
    # new jobs answer 429 until enough expire (RESULT_TTL), so no tenant can fill Redis with results.
    MAX_STORED_BYTES_PER_TENANT: int = 256 * 1024 * 1024
    # Seconds before the first retry of a webhook or Alertmanager delivery; each later wait doubles (jittered),
    # over 6 attempts in all.
    NOTIFY_RETRY_BACKOFF_S: float = 5.0
    # Where clients reach the API (https://capplan.example.com): events and alerts link to jobs with it; empty:
    # their links are paths, which a receiver resolves against the address it knows.
    PUBLIC_URL: str = ""

    @property
    def broker_url(self) -> str:
        return self.BROKER_URL or self.REDIS_URL

    @property
    def visibility_timeout(self) -> int:
        return self.TASK_TIME_LIMIT * 2

    @property
    def no_progress_timeout(self) -> int:
        """A running job with no progress for longer is failed (jobs.stalls): longer than a task lost with its
        worker takes to come back (the visibility timeout, then the broker's restore sweep) and run again."""
        return self.visibility_timeout + self.TASK_TIME_LIMIT + 60

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    return str(raw)


def load_settings(override: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from defaults, then the environment, then ``override``."""
    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        default = getattr(base, f.name)
        if f.name in env:
            values[f.name] = _coerce(f.name, env[f.name], default)
        if override and f.name in override:
            values[f.name] = _coerce(f.name, override[f.name], default)
    unknown = set(override or ()) - {f.name for f in fields(Settings)}
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    settings = replace(base, **values)
    settings = replace(settings, AUTH=auth_mode(settings.AUTH, settings.HOST))
    if settings.FORECAST_DEVICE not in ("auto", "cpu", "cuda") and not settings.FORECAST_DEVICE.startswith("cuda:"):
        raise ConfigError(f"FORECAST_DEVICE must be auto, cpu or cuda, got {settings.FORECAST_DEVICE!r}")
    if settings.FORECAST_PRECISION not in ("fp32", "bf16"):
        raise ConfigError(f"FORECAST_PRECISION must be fp32 or bf16, got {settings.FORECAST_PRECISION!r}")
    if not MEMORY.match(settings.REDIS_MAXMEMORY):
        raise ConfigError(f"REDIS_MAXMEMORY must be bytes or a size like 512mb or 2gb, got {settings.REDIS_MAXMEMORY!r}")
    if urlsplit(settings.broker_url).scheme not in BROKER_SCHEMES:
        raise ConfigError(f"BROKER_URL must start with one of {', '.join(s + '://' for s in BROKER_SCHEMES)}")
    if not settings.broker_url.startswith("redis") and settings.TASK_TIME_LIMIT >= RABBITMQ_CONSUMER_TIMEOUT_S:
        raise ConfigError(f"TASK_TIME_LIMIT must stay under RabbitMQ's consumer_timeout ({RABBITMQ_CONSUMER_TIMEOUT_S} s)")
    if min(settings.SYNC_MAX_HOURS, settings.SYNC_WAIT_S, settings.SYNC_MAX_WAITING) < 0 or settings.RESULT_TTL <= 0:
        raise ConfigError("SYNC_MAX_HOURS, SYNC_WAIT_S and SYNC_MAX_WAITING must be >= 0 and RESULT_TTL > 0")
    if settings.MAX_BATCH_BYTES <= 0:
        raise ConfigError("MAX_BATCH_BYTES must be > 0")
    if min(settings.MAX_JOBS_PER_TENANT, settings.MAX_STORED_BYTES_PER_TENANT) < 0:
        raise ConfigError("MAX_JOBS_PER_TENANT and MAX_STORED_BYTES_PER_TENANT must be >= 0 (0: no cap)")
    if not 0 < settings.NOTIFY_RETRY_BACKOFF_S <= 3600:
        raise ConfigError("NOTIFY_RETRY_BACKOFF_S must be a number of seconds in (0, 3600]")
    if settings.PUBLIC_URL:
        public = urlsplit(settings.PUBLIC_URL)
        if public.scheme not in ("http", "https") or not public.hostname or public.username or public.query:
            raise ConfigError("PUBLIC_URL must be an http:// or https:// address such as https://capplan.example.com "
                              "(no credentials, no query)")
    return settings


def auth_mode(auth: str, host: str) -> str:
    """AUTH as set, else ``keys`` unless the API listens on a loopback address, where only this machine reaches it."""
    auth = auth.strip().lower()
    if auth in ("keys", "open"):
        return auth
    if auth:
        raise ConfigError(f"AUTH must be keys or open, got {auth!r}")
    return "open" if is_loopback(host) else "keys"


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False          # a host name other than localhost: assume others can reach it
