"""Limits per key (AUTH=keys): submissions per time through Flask-Limiter in Redis, and each tenant's open jobs."""
from __future__ import annotations

import pytest

from capplan.config import ConfigError
from tests.api_keys import FORECAST, PLAN, bearer, keyed_app, write_keys

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def keys(tmp_path):
    return write_keys(tmp_path / "capplan.toml", {
        "tight": {"tenant": "alpha", "rate_limit": "2/minute"}, "free": {"tenant": "alpha"},
        "capped": {"tenant": "beta", "max_jobs": 1}, "other": {"tenant": "gamma"}})


@pytest.fixture
def client(redis_server, tmp_path, keys):
    return keyed_app(redis_server.url, tmp_path / "capplan.toml", MAX_JOBS_PER_TENANT=3).test_client()


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(client, keys):
    tight = bearer(keys["tight"], **ASYNC)
    assert client.post("/api/forecast", json=FORECAST, headers=tight).status_code == 202
    assert client.post("/api/capacity/batch", json={"plans": [PLAN]}, headers=tight).status_code == 202
    reply = client.post("/api/forecast", json=FORECAST, headers=tight)      # one budget for every POST
    assert reply.status_code == 429
    assert 1 <= int(reply.headers["Retry-After"]) <= 61
    error = reply.get_json()["error"]
    assert reply.get_json()["success"] is False and error["code"] == "rate_limited"
    assert "2 per 1 minute" in error["message"] and "rate_limit" in error["fields"]
    # Reading is not limited, and each key has its own budget (here the default RATE_LIMIT).
    assert client.get("/api/health", headers=bearer(keys["tight"])).status_code in (200, 503)
    assert client.post("/api/forecast", json=FORECAST, headers=bearer(keys["free"], **ASYNC)).status_code == 202


def test_a_successful_submission_carries_no_retry_after(client, keys):
    reply = client.post("/api/forecast", json=FORECAST, headers=bearer(keys["free"], **ASYNC))
    assert reply.status_code == 202 and "Retry-After" not in reply.headers   # it would read "poll later"


def test_the_default_rate_limit_is_the_setting(redis_server, tmp_path, keys):
    client = keyed_app(redis_server.url, tmp_path / "capplan.toml", RATE_LIMIT="1 per hour").test_client()
    free = bearer(keys["free"], **ASYNC)
    assert client.post("/api/forecast", json=FORECAST, headers=free).status_code == 202
    reply = client.post("/api/forecast", json=FORECAST, headers=free)
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) > 3500


def test_a_tenant_at_its_cap_gets_429_naming_it_until_a_job_finishes(client, keys):
    capped = bearer(keys["capped"], **ASYNC)
    first = client.post("/api/forecast", json=FORECAST, headers=capped).get_json()["job_id"]
    reply = client.post("/api/forecast", json=FORECAST, headers={**capped, "Idempotency-Key": "retry-me"})
    assert reply.status_code == 429 and reply.headers["Retry-After"]
    error = reply.get_json()["error"]
    assert error["code"] == "too_many_jobs" and "max_jobs 1" in error["message"] and "max_jobs" in error["fields"]
    assert first not in reply.get_data(as_text=True)
    # Other tenants are not held back by it.
    assert client.post("/api/forecast", json=FORECAST, headers=bearer(keys["other"], **ASYNC)).status_code == 202
    assert client.delete(f"/api/jobs/{first}", headers=capped).status_code == 200
    # The refused request's Idempotency-Key was let go: the retry makes a job, it does not replay none.
    again = client.post("/api/forecast", json=FORECAST, headers={**capped, "Idempotency-Key": "retry-me"})
    assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers
    assert client.get(again.headers["Location"], headers=capped).status_code == 200


def test_the_cap_counts_queued_jobs_and_a_replay_is_not_a_new_job(client, keys):
    other = bearer(keys["other"], **ASYNC, **{"Idempotency-Key": "same"})
    job_id = client.post("/api/forecast", json=FORECAST, headers=other).get_json()["job_id"]
    for _ in range(3):     # MAX_JOBS_PER_TENANT is 3: replays of one job never reach it
        replay = client.post("/api/forecast", json=FORECAST, headers=other)
        assert replay.status_code == 202 and replay.get_json()["job_id"] == job_id
    plain = bearer(keys["other"], **ASYNC)
    assert [client.post("/api/forecast", json=FORECAST, headers=plain).status_code for _ in range(3)] == [202, 202, 429]


def test_a_bad_rate_limit_refuses_to_start_naming_it(redis_server, tmp_path):
    write_keys(tmp_path / "bad.toml", {"k": {"tenant": "t", "rate_limit": "lots"}})
    with pytest.raises(ConfigError, match=r"\[keys.k\] rate_limit"):
        keyed_app(redis_server.url, tmp_path / "bad.toml")
    write_keys(tmp_path / "ok.toml", {"k": {"tenant": "t"}})
    with pytest.raises(ConfigError, match="RATE_LIMIT"):
        keyed_app(redis_server.url, tmp_path / "ok.toml", RATE_LIMIT="often")


def test_redis_down_is_503_within_a_second_with_keys_too(tmp_path, keys):
    import time

    from api import create_app
    from tests.redis_server import free_port

    app = create_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "LOG_LEVEL": "WARNING", "AUTH": "keys",
                      "CAPPLAN_CONFIG": str(tmp_path / "capplan.toml")})
    started = time.monotonic()
    reply = app.test_client().post("/api/forecast", json=FORECAST, headers=bearer(keys["free"]))
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "1"     # the rate limit's count failed
    assert time.monotonic() - started < 1.0
