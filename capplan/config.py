"""Settings shared by the API and the workers: defaults, then the environment, then an override."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL_DIR = REPO_ROOT / "models" / "artifacts"


class ConfigError(ValueError):
    """A setting from the environment or an override has an unusable value."""


@dataclass(frozen=True)
class Settings:
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    MODEL_DIR: str = str(SHIPPED_MODEL_DIR)
    PORT: int = 5000
    SYNC_MAX_HOURS: int = 48
    SYNC_WAIT_S: float = 10.0
    RESULT_TTL: int = 24 * 3600
    FORECAST_DEVICE: str = "auto"
    # The network encoder's precision: auto = bfloat16 on a CPU that computes it natively, else float32.
    FORECAST_PRECISION: str = "auto"
    # The fallback level gate (see the README's serving layers): "" keeps the model's stored value,
    # "off" switches it off, "PERSISTENCE:SPREAD" (e.g. "0.3:0.03") switches it on for this worker.
    FORECAST_FALLBACK_LEVEL_GATE: str = ""
    LOG_LEVEL: str = "INFO"
    MAX_CONTENT_LENGTH: int = 2 * 1024 * 1024
    # Pickled scalers of the original service's model load only when listed in a manifest
    # beside them or when this is true (a pickle runs code when it is loaded).
    ALLOW_UNSAFE_PICKLE: bool = False
    # Plans per Celery task of a batch job: one network pass per chunk.
    BATCH_CHUNK_SIZE: int = 250
    # Celery time limits (seconds) for a task; the broker's visibility timeout is longer.
    TASK_SOFT_TIME_LIMIT: int = 300
    TASK_TIME_LIMIT: int = 360
    ENV: str = "production"

    @property
    def visibility_timeout(self) -> int:
        return self.TASK_TIME_LIMIT * 2

    @property
    def fallback_level_gate(self) -> tuple[float, float] | float | None:
        """FORECAST_FALLBACK_LEVEL_GATE for ``load_forecaster``: None (stored), infinity (off) or the pair."""
        return parse_level_gate(self.FORECAST_FALLBACK_LEVEL_GATE)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_level_gate(text: str) -> tuple[float, float] | float | None:
    """"" -> None (the model's stored gate), "off" -> infinity (off), "P:S" -> (P, S) with 0 <= P < 1, S > 0."""
    text = text.strip().lower()
    if not text:
        return None
    if text == "off":
        return float("inf")
    from models.level import check_level_gate                    # numpy only: the API may import it

    try:
        return check_level_gate(tuple(float(part) for part in text.split(":")))
    except ValueError as exc:
        raise ConfigError(f"FORECAST_FALLBACK_LEVEL_GATE must be empty, off or PERSISTENCE:SPREAD: {exc}") from None


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
    if settings.FORECAST_DEVICE not in ("auto", "cpu", "cuda") and not settings.FORECAST_DEVICE.startswith("cuda:"):
        raise ConfigError(f"FORECAST_DEVICE must be auto, cpu or cuda, got {settings.FORECAST_DEVICE!r}")
    if settings.FORECAST_PRECISION not in ("auto", "fp32", "bf16"):
        raise ConfigError(f"FORECAST_PRECISION must be auto, fp32 or bf16, got {settings.FORECAST_PRECISION!r}")
    parse_level_gate(settings.FORECAST_FALLBACK_LEVEL_GATE)
    if settings.SYNC_MAX_HOURS < 0 or settings.SYNC_WAIT_S < 0 or settings.RESULT_TTL <= 0:
        raise ConfigError("SYNC_MAX_HOURS and SYNC_WAIT_S must be >= 0 and RESULT_TTL > 0")
    return settings
