"""API keys for tests: a CAPPLAN_CONFIG file of fresh keys, and the app or server that requires them."""
from __future__ import annotations

from pathlib import Path

from capplan.keys import new_key, toml_entry

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
PLAN = {"current_capacity": 5000, "current_load": 1000, "hours_ahead": 24}


def write_keys(path: Path, entries: dict[str, dict]) -> dict[str, str]:
    """``{name: {"tenant": T, "rate_limit": ..., "max_jobs": ...}}`` as a TOML file; returns each name's key."""
    keys, lines = {}, []
    for name, entry in entries.items():
        keys[name] = new_key()
        lines += toml_entry(name, entry["tenant"], keys[name], entry.get("rate_limit"), entry.get("max_jobs"))
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return keys


def keyed_app(redis_url: str, config: Path, **settings):
    """The app with AUTH=keys on a flushed Redis."""
    import redis

    from api import create_app

    redis.Redis.from_url(redis_url).flushdb()
    return create_app({"REDIS_URL": redis_url, "ENV": "test", "LOG_LEVEL": "WARNING", "SYNC_WAIT_S": 0.2,
                       "AUTH": "keys", "CAPPLAN_CONFIG": str(config), **settings})


def bearer(key: str, **headers) -> dict:
    return {"Authorization": f"Bearer {key}", **headers}
