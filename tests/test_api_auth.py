"""API keys and tenants (AUTH=keys) on a real Redis without workers: 401s, and one tenant never sees another's jobs."""
from __future__ import annotations

import pytest

from capplan.config import ConfigError, load_settings
from tests.api_keys import FORECAST, PLAN, bearer, keyed_app, write_keys

ASYNC = {"Prefer": "respond-async"}
NIGHTLY = {"Idempotency-Key": "nightly"}


@pytest.fixture
def keys(tmp_path):
    return write_keys(tmp_path / "capplan.toml", {"a": {"tenant": "alpha"}, "b": {"tenant": "beta"},
                                                  "a2": {"tenant": "alpha"}})


@pytest.fixture
def client(redis_server, tmp_path, keys):
    return keyed_app(redis_server.url, tmp_path / "capplan.toml").test_client()


def submit(client, key: str, path: str = "/api/forecast", body=FORECAST, **headers) -> str:
    reply = client.post(path, json=body, headers=bearer(key, **ASYNC, **headers))
    assert reply.status_code == 202, reply.get_json()
    return reply.get_json()["job_id"]


def assert_401(reply, challenge: str = "Bearer"):
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith(challenge)
    body = reply.get_json()
    assert body["success"] is False and body["error"]["code"] == "unauthorized" and body["error"]["message"]


@pytest.mark.parametrize("method, path", [("POST", "/api/forecast"), ("POST", "/api/capacity/batch"),
                                          ("GET", "/api/jobs/abc"), ("DELETE", "/api/jobs/abc"),
                                          ("GET", "/api/jobs/abc/results")])
def test_no_key_is_401_with_a_bearer_challenge(client, method, path):
    assert_401(client.open(path, method=method, json=FORECAST))


@pytest.mark.parametrize("header", ["Bearer capplan_not-a-key", "Bearer ", "Basic YTpi", "capplan_xyz"])
def test_a_wrong_key_is_401(client, keys, header):
    reply = client.post("/api/forecast", json=FORECAST, headers={"Authorization": header})
    assert_401(reply)
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert keys["a"] not in reply.get_data(as_text=True)


def test_another_tenants_job_is_404_and_never_named(client, keys):
    job_id = submit(client, keys["a"], "/api/capacity/batch", {"plans": [PLAN, PLAN]})
    for method, path in [("GET", f"/api/jobs/{job_id}"), ("DELETE", f"/api/jobs/{job_id}"),
                         ("GET", f"/api/jobs/{job_id}/results"), ("GET", f"/api/jobs/{job_id}/results?format=csv")]:
        reply = client.open(path, method=method, headers=bearer(keys["b"]))
        assert reply.status_code == 404, (method, path)
        assert reply.get_json()["error"]["code"] == "not_found"
        assert job_id not in reply.get_data(as_text=True), (method, path)
    mine = client.get(f"/api/jobs/{job_id}", headers=bearer(keys["a"]))
    assert mine.status_code == 200 and mine.get_json()["status"] == "queued"     # B's cancel did nothing
    assert client.get(f"/api/jobs/{job_id}/results", headers=bearer(keys["a"])).get_json()["total"] == 2
    # A tenant's keys share its jobs.
    assert client.delete(f"/api/jobs/{job_id}", headers=bearer(keys["a2"])).get_json()["status"] == "cancelled"


def test_an_expired_job_of_another_tenant_is_404_not_410(client, keys):
    job_id = submit(client, keys["a"])
    client.application.extensions["capplan"].redis.delete(f"capplan:job:{job_id}")   # as RESULT_TTL would
    assert client.get(f"/api/jobs/{job_id}", headers=bearer(keys["a"])).status_code == 410
    reply = client.get(f"/api/jobs/{job_id}", headers=bearer(keys["b"]))
    assert reply.status_code == 404 and job_id not in reply.get_data(as_text=True)


def test_idempotency_keys_are_each_tenants_own(client, keys):
    first = submit(client, keys["a"], **NIGHTLY)
    # B's same key and same body: B's own new job, not A's.
    theirs = client.post("/api/forecast", json=FORECAST, headers=bearer(keys["b"], **ASYNC, **NIGHTLY))
    assert theirs.status_code == 202 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["job_id"] != first
    # B's key with another body: a 409 about B's own job, never naming A's.
    other = client.post("/api/forecast", json={**FORECAST, "current_load": 7},
                        headers=bearer(keys["b"], **ASYNC, **NIGHTLY))
    assert other.status_code == 409 and first not in other.get_data(as_text=True)
    assert theirs.get_json()["job_id"] in other.get_data(as_text=True)
    # A's replay is still A's job; another key of A's tenant shares it.
    again = client.post("/api/forecast", json=FORECAST, headers=bearer(keys["a2"], **ASYNC, **NIGHTLY))
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["job_id"] == first


def test_health_without_a_key_says_only_its_status(client, keys):
    bare = client.get("/api/health")
    assert bare.status_code == 503 and bare.get_json() == {"status": "degraded"}   # no workers here
    assert bare.headers["Retry-After"] == "1"
    full = client.get("/api/health", headers=bearer(keys["b"])).get_json()
    assert full["status"] == "degraded" and full["reasons"] == ["no live workers"] and "workers" in full
    assert_401(client.get("/api/health", headers={"Authorization": "Bearer wrong"}))


def test_docs_and_metrics_need_no_key(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert client.get("/api/docs").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_the_access_log_names_the_key_and_tenant(client, keys, caplog):
    with caplog.at_level("INFO", logger="capplan.access"):
        submit(client, keys["b"])
    assert any(getattr(r, "key", None) == "b" and getattr(r, "tenant", None) == "beta" for r in caplog.records)


def test_keys_create_prints_a_key_that_then_works(redis_server, tmp_path, capsys):
    from capplan.cli import main

    assert main(["keys", "create", "ci-nightly", "--tenant", "payments", "--max-jobs", "5"]) == 0
    out = capsys.readouterr().out
    key = next(word for word in out.split() if word.startswith("capplan_"))
    toml = out[out.index("[keys.ci-nightly]"):].split("\n\n")[0]
    assert key not in toml and "max_jobs = 5" in toml             # the file lists its hash only
    config = tmp_path / "capplan.toml"
    config.write_text(toml + "\n", encoding="utf-8")
    client = keyed_app(redis_server.url, config).test_client()
    assert client.post("/api/forecast", json=FORECAST, headers=bearer(key, **ASYNC)).status_code == 202
    assert client.post("/api/forecast", json=FORECAST, headers=bearer(key[:-1] + "x", **ASYNC)).status_code == 401


def test_auth_open_asks_for_nothing_and_shows_every_job(redis_server, tmp_path, keys):
    from api import create_app

    client = create_app({"REDIS_URL": redis_server.url, "LOG_LEVEL": "WARNING", "AUTH": "open",
                         "CAPPLAN_CONFIG": str(tmp_path / "capplan.toml")}).test_client()
    job_id = client.post("/api/forecast", json=FORECAST, headers=ASYNC).get_json()["job_id"]
    assert client.get(f"/api/jobs/{job_id}").status_code == 200
    assert client.get(f"/api/jobs/{job_id}", headers=bearer(keys["a"])).status_code == 200   # a key is ignored
    assert "workers" in client.get("/api/health").get_json()


def test_auth_defaults_to_keys_unless_the_api_listens_on_loopback():
    assert load_settings(environ={}).AUTH == "keys"                              # HOST 0.0.0.0
    assert load_settings(environ={"HOST": "10.1.2.3"}).AUTH == "keys"
    for host in ("127.0.0.1", "localhost", "::1", "[::1]"):
        assert load_settings(environ={"HOST": host}).AUTH == "open", host
    assert load_settings(environ={"HOST": "127.0.0.1", "AUTH": "keys"}).AUTH == "keys"
    assert load_settings(environ={"AUTH": "OPEN"}).AUTH == "open"
    with pytest.raises(ConfigError, match="AUTH"):
        load_settings(environ={"AUTH": "password"})


def test_keys_required_but_none_listed_refuses_to_start(redis_server, tmp_path):
    from api import create_app

    with pytest.raises(ConfigError, match="CAPPLAN_CONFIG"):
        create_app({"REDIS_URL": redis_server.url, "AUTH": "keys"})
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match="absent.toml"):
        create_app({"REDIS_URL": redis_server.url, "AUTH": "keys", "CAPPLAN_CONFIG": str(missing)})


TARGETS = """
[prometheus.shared]
url = "http://127.0.0.1:9"

[prometheus.payments-prom]
url = "http://127.0.0.1:9"
tenants = ["alpha"]

[webhooks.alpha-ops]
url = "http://127.0.0.1:9/hook"
tenants = ["alpha"]
"""


def test_a_target_kept_to_a_tenant_is_unknown_to_the_others(redis_server, tmp_path, keys):
    config = tmp_path / "capplan.toml"
    config.write_text(config.read_text(encoding="utf-8") + TARGETS, encoding="utf-8")
    client = keyed_app(redis_server.url, config).test_client()
    source = {"prometheus": "payments-prom", "query": "sum(rate(x[1h]))"}
    forecast = {"hours_ahead": 24, "source": source, "notify": ["alpha-ops"]}
    submit(client, keys["a"], body=forecast)                          # its own tenant's targets
    refused = client.post("/api/forecast", json=forecast, headers=bearer(keys["b"], **ASYNC))
    assert refused.status_code == 400
    fields = refused.get_json()["error"]["fields"]
    assert set(fields) == {"source.prometheus", "notify[0]"}, fields
    assert fields["source.prometheus"].endswith("(configured: shared)")  # no other team's target is listed
    assert fields["notify[0]"].endswith("(none is configured)")
    batch = {"plans": [{**PLAN, "source": source}, {**PLAN, "source": {**source, "prometheus": "shared"}}]}
    job_id = submit(client, keys["b"], "/api/capacity/batch", batch)
    store = client.application.extensions["capplan"].store
    first, second = store.load_chunk(job_id, 0)["plans"]
    assert "source.prometheus" in first["error"]["fields"] and "error" not in second    # that plan fails alone
