"""`notify` in requests: configured names only, checked in the API against its CAPPLAN_CONFIG (400 otherwise)."""
from __future__ import annotations

import pytest

from api.job_requests import batch_entries
from tests.api_keys import FORECAST, PLAN

CONFIG = """
[webhooks.ops]
url = "http://127.0.0.1:9/hook"
secret_env = "CAPPLAN_TEST_HOOK_SECRET"

[alertmanager.main]
url = "http://127.0.0.1:9"
"""


@pytest.fixture
def notify_app(redis_server, tmp_path):
    import redis

    from api import create_app
    from tests.conftest import CheckedClient

    config = tmp_path / "capplan.toml"
    config.write_text(CONFIG, encoding="utf-8")
    redis.Redis.from_url(redis_server.url).flushdb()
    app = create_app({"REDIS_URL": redis_server.url, "ENV": "test", "LOG_LEVEL": "WARNING", "SYNC_WAIT_S": 0.2,
                      "AUTH": "open", "CAPPLAN_CONFIG": str(config)})
    app.test_client_class = CheckedClient
    return app


def post(app, path: str, body: dict):
    return app.test_client().post(path, json=body, headers={"Prefer": "respond-async"})


@pytest.mark.parametrize("path", ["/api/forecast", "/api/capacity/recommendations", "/api/capacity/analyze"])
def test_configured_names_are_kept_on_the_job(notify_app, path):
    body = FORECAST if path == "/api/forecast" else PLAN
    reply = post(notify_app, path, {**body, "notify": ["ops", "main", "ops"]})
    assert reply.status_code == 202, reply.json
    store = notify_app.extensions["capplan"].store
    (record,) = store.load([reply.json["job_id"]])
    assert record["request"]["notify"] == ["ops", "main"]           # a name given twice is told once


@pytest.mark.parametrize("notify, field, words", [
    (["nightly"], "notify[0]", "nightly is not a configured webhook or Alertmanager (configured: main, ops)"),
    (["ops", "https://attacker.example/hook?token=abc"], "notify[1]", "not an address"),
    (["hooks.example.com"], "notify[0]", "not an address"),
    (["ops!"], "notify[0]", "configured target's name"),
    ([], "notify", "at least 1"),
    (["ops"] * 11, "notify", "at most 10"),
    ("ops", "notify", "must be a list"),
    ([7], "notify[0]", "must be a string"),
])
def test_unknown_names_and_urls_are_refused_naming_the_field(notify_app, notify, field, words):
    for path in ("/api/capacity/analyze", "/api/capacity/batch"):
        body = {**PLAN, "notify": notify} if path.endswith("analyze") else {"plans": [PLAN], "notify": notify}
        reply = post(notify_app, path, body)
        assert reply.status_code == 400, reply.json
        fields = reply.json["error"]["fields"]
        assert list(fields) == [field] and words in fields[field], fields
        assert "attacker" not in reply.get_data(as_text=True)      # a URL sent is never echoed


def test_without_a_config_no_name_is_known(client):
    reply = post(client.application, "/api/capacity/analyze", {**PLAN, "notify": ["ops"]})
    assert reply.status_code == 400
    assert "none is configured" in reply.json["error"]["fields"]["notify[0]"]


def test_a_batch_notifies_for_the_batch_not_per_plan(notify_app):
    context = notify_app.extensions["capplan"].context_for(None)
    entries = batch_entries({"plans": [PLAN, {**PLAN, "notify": ["ops"]}], "notify": ["ops"]}, context)
    assert "error" not in entries[0]
    assert "notify" in entries[1]["error"]["fields"]                # that plan fails alone
    reply = post(notify_app, "/api/capacity/batch", {"plans": [PLAN], "notify": ["main"]})
    assert reply.status_code == 202
    (record,) = notify_app.extensions["capplan"].store.load([reply.json["job_id"]])
    assert record["request"]["notify"] == ["main"]


def test_openapi_documents_notify_on_job_requests_and_the_batch_only(notify_app):
    schemas = notify_app.test_client().get("/api/openapi.json").json["components"]["schemas"]
    for name in ("ForecastRequest", "PlanRequest", "AnalysisRequest", "BatchRequest"):
        notify = schemas[name]["properties"]["notify"]["anyOf"][0]
        assert (notify["type"], notify["minItems"], notify["maxItems"]) == ("array", 1, 10)
        assert notify["items"]["pattern"] == "^[A-Za-z0-9_-]{1,64}$"
    assert "notify" not in schemas["BatchPlan"]["properties"]
    assert schemas["Job"]["properties"]["notifications"]["items"] == {"$ref": "#/components/schemas/Notification"}


def test_a_batch_key_replayed_with_other_targets_is_a_conflict(notify_app):
    client = notify_app.test_client()

    def send(notify: list[str] | None):
        body = {"plans": [PLAN, {**PLAN, "id": "db"}], **({"notify": notify} if notify else {})}
        return client.post("/api/capacity/batch", json=body, headers={"Idempotency-Key": "nightly-42"})

    first = send(["ops"])
    assert first.status_code == 202
    assert send(["ops", "ops"]).json["job_id"] == first.json["job_id"]      # the same targets: the same job
    for other in (["main"], None):
        reply = send(other)
        assert reply.status_code == 409 and reply.json["error"]["code"] == "idempotency_conflict", reply.json


def test_a_csv_batch_names_its_targets_in_the_query(notify_app):
    client = notify_app.test_client()
    csv_body = b"id,current_capacity,current_load\nweb,5000,1000\n"

    def send(query: str, data: bytes = csv_body, mimetype: str = "text/csv"):
        return client.post(f"/api/capacity/batch{query}", data=data, content_type=mimetype)

    reply = send("?notify=ops&notify=main&notify=ops")
    assert reply.status_code == 202, reply.json
    (record,) = notify_app.extensions["capplan"].store.load([reply.json["job_id"]])
    assert record["request"]["notify"] == ["ops", "main"]
    unknown = send("?notify=nightly")
    assert unknown.status_code == 400 and "nightly is not a configured" in unknown.json["error"]["fields"]["notify[0]"]
    in_json = send("?notify=ops", b'{"plans": [{"current_capacity": 1, "current_load": 1}]}', "application/json")
    assert in_json.status_code == 400 and "goes in the JSON body" in in_json.json["error"]["fields"]["notify"]
