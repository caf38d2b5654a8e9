"""The Flask app on a real Redis without workers: validation, errors, Prefer, jobs, health, docs, metrics."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
import redis as redis_lib

from jobs.heartbeats import publish

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
PLAN = {"hours_ahead": 24, "current_capacity": 5000, "current_load": 1000, "scaling_threshold": 0.8}

BAD_INPUT = [
    ("/api/forecast", {**FORECAST, "hours_ahead": 0}, "hours_ahead"),
    ("/api/forecast", {**FORECAST, "hours_ahead": 1000}, "hours_ahead"),
    ("/api/forecast", {**FORECAST, "hours_ahead": "abc"}, "hours_ahead"),
    ("/api/forecast", {**FORECAST, "hours_ahead": 2.5}, "hours_ahead"),
    ("/api/forecast", {**FORECAST, "hours_ahead": True}, "hours_ahead"),
    ("/api/forecast", {"hours_ahead": 24}, "current_load"),
    ("/api/forecast", {**FORECAST, "current_load": -1}, "current_load"),
    ("/api/forecast", {**FORECAST, "current_load": "x"}, "current_load"),
    ("/api/forecast", {**FORECAST, "timestamp": "yesterday"}, "timestamp"),
    ("/api/forecast", {**FORECAST, "history": [1, 2, "three"]}, "history[2]"),
    ("/api/forecast", {**FORECAST, "history": []}, "history"),
    ("/api/forecast", {**FORECAST, "history": [1.0] * 8761}, "history"),
    ("/api/forecast", {**FORECAST, "history": [{"timestamp": "2024-01-01T00:00:00", "load": -3}]},
     "history[0].load"),
    ("/api/forecast", {**FORECAST, "history": [{"timestamp": "nope", "load": 3}]}, "history[0].timestamp"),
    ("/api/capacity/recommendations", {**PLAN, "current_capacity": -5}, "current_capacity"),
    ("/api/capacity/recommendations", {**PLAN, "current_capacity": 0}, "current_capacity"),
    ("/api/capacity/recommendations", {k: v for k, v in PLAN.items() if k != "current_capacity"},
     "current_capacity"),
    ("/api/capacity/recommendations", {**PLAN, "scaling_threshold": 0}, "scaling_threshold"),
    ("/api/capacity/recommendations", {**PLAN, "scaling_threshold": 1.5}, "scaling_threshold"),
    ("/api/capacity/analyze", {**PLAN, "hours_ahead": 169}, "hours_ahead"),
    ("/api/capacity/batch", {"plans": []}, "plans"),
    ("/api/capacity/batch", {"plans": "all of them"}, "plans"),
    ("/api/capacity/batch", {"plans": [{}] * 10_001}, "plans"),
]


@pytest.mark.parametrize("path,body,field", BAD_INPUT, ids=[f"{p}-{f}" for p, _, f in BAD_INPUT])
def test_bad_input_is_400_naming_the_field(client, path, body, field):
    reply = client.post(path, json=body)
    assert reply.status_code == 400
    error = reply.get_json()
    assert error["success"] is False and error["error"]["code"] == "validation_error"
    assert field in error["error"]["fields"], error


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"{not json", b"", b"null"])
def test_body_that_is_not_a_json_object_is_400(client, raw):
    reply = client.post("/api/forecast", data=raw, content_type="application/json")
    assert reply.status_code == 400 and "body" in reply.get_json()["error"]["fields"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_history_is_400(client, token):
    raw = b'{"hours_ahead": 24, "history": [1, 2, ' + token.encode() + b"]}"
    reply = client.post("/api/forecast", data=raw, content_type="application/json")
    assert reply.status_code == 400 and "history[2]" in reply.get_json()["error"]["fields"]


def test_body_over_max_content_length_is_413(redis_server):
    from api import create_app

    app = create_app({"REDIS_URL": redis_server.url, "MAX_CONTENT_LENGTH": 1000, "LOG_LEVEL": "WARNING"})
    reply = app.test_client().post("/api/forecast", json={**FORECAST, "history": [1.5] * 1000})
    assert reply.status_code == 413 and reply.get_json()["error"]["code"] == "request_entity_too_large"


def test_unknown_route_and_wrong_method_are_json(client):
    assert client.get("/api/nothing").get_json()["error"]["code"] == "not_found"
    reply = client.get("/api/forecast")
    assert reply.status_code == 405 and reply.get_json()["success"] is False


def test_unexpected_error_is_500_with_request_id_and_no_traceback(app, monkeypatch):
    service = app.extensions["capplan"]

    def explode(*_a, **_k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service.store, "create", explode)
    reply = app.test_client().post("/api/forecast", json=FORECAST, headers={"X-Request-ID": "req-42"})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 500 and "req-42" in text
    assert "secret" not in text and "Traceback" not in text


def test_redis_down_is_503_with_retry_after():
    from api import create_app
    from tests.redis_server import free_port

    app = create_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "LOG_LEVEL": "WARNING"})
    reply = app.test_client().post("/api/forecast", json=FORECAST)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "1"
    health = app.test_client().get("/api/health")
    assert health.status_code == 503 and health.get_json()["redis"]["reachable"] is False


def test_sync_wait_that_runs_out_answers_202_and_keeps_the_job(client, redis_server):
    reply = client.post("/api/forecast", json=FORECAST)   # no workers: the 0.2 s wait runs out
    assert reply.status_code == 202
    body = reply.get_json()
    assert reply.headers["Location"] == body["status_url"] == f"/api/jobs/{body['job_id']}"
    job = client.get(body["status_url"]).get_json()
    assert job["status"] == "queued" and job["kind"] == "forecast" and job["progress"] == {"done": 0, "total": 1}
    assert redis_lib.Redis.from_url(redis_server.url).llen("interactive") >= 1   # the task waits for a worker


def test_prefer_respond_async_answers_at_once(client):
    reply = client.post("/api/forecast", json=FORECAST, headers={"Prefer": "respond-async"})
    assert reply.status_code == 202 and reply.headers["Preference-Applied"] == "respond-async"


def test_long_horizon_is_a_job_unless_prefer_wait(client):
    assert client.post("/api/capacity/analyze", json=PLAN | {"hours_ahead": 168}).status_code == 202
    started = time.monotonic()
    reply = client.post("/api/capacity/analyze", json=PLAN | {"hours_ahead": 168}, headers={"Prefer": "wait=1"})
    assert reply.status_code == 202 and reply.headers["Preference-Applied"] == "wait=1"
    assert time.monotonic() - started >= 0.9   # it did wait before giving the job back


def test_cancel_a_queued_job_and_unknown_ids(client):
    job_id = client.post("/api/forecast", json=FORECAST, headers={"Prefer": "respond-async"}).get_json()["job_id"]
    reply = client.delete(f"/api/jobs/{job_id}")
    assert reply.status_code == 200 and reply.get_json()["status"] == "cancelled"
    assert client.delete(f"/api/jobs/{job_id}").status_code == 409
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.delete("/api/jobs/nope").status_code == 404


def test_results_of_a_non_batch_job_are_400(client):
    job_id = client.post("/api/forecast", json=FORECAST, headers={"Prefer": "respond-async"}).get_json()["job_id"]
    assert client.get(f"/api/jobs/{job_id}/results").status_code == 400


def test_idempotency_key_returns_the_same_job_and_409_for_another_body(client):
    headers = {"Idempotency-Key": "abc-1", "Prefer": "respond-async"}
    first = client.post("/api/forecast", json=FORECAST, headers=headers).get_json()["job_id"]
    assert client.post("/api/forecast", json=FORECAST, headers=headers).get_json()["job_id"] == first
    other = client.post("/api/forecast", json={**FORECAST, "current_load": 7}, headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.get_json()["error"]["fields"]


def test_job_ids_are_unguessable(client):
    ids = {client.post("/api/forecast", json=FORECAST, headers={"Prefer": "respond-async"}).get_json()["job_id"]
           for _ in range(5)}
    assert len(ids) == 5 and all(len(i) >= 22 for i in ids)


def test_health_degraded_without_workers_then_healthy_with_a_heartbeat(app, redis_server):
    client = app.test_client()
    reply = client.get("/api/health")
    assert reply.status_code == 503 and reply.get_json()["reasons"] == ["no live workers"]
    model = {"loaded": True, "name": "attention_bilstm", "version": "9", "device": "cuda", "precision": "fp32",
             "error": None}
    publish(redis_lib.Redis.from_url(redis_server.url), "host:1",
            {"node": "host:0", "pid": 1, "queues": ["forecast"], "model": model})
    body = client.get("/api/health").get_json()
    assert body["status"] == "healthy" and body["model_loaded"] is True
    assert body["model"]["name"] == "attention_bilstm" and body["device"] == "cuda"
    assert body["model"]["precision"] == "fp32"                   # which encoder precision the worker serves
    assert body["workers"]["live"] == 1 and body["redis"]["reachable"] is True


def test_openapi_describes_every_endpoint_and_docs_render(client):
    spec = client.get("/api/openapi.json").get_json()
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in client.application.url_map.iter_rules()
             if r.rule.startswith("/api/") and r.rule != "/api/docs"}
    assert rules <= set(spec["paths"]), rules - set(spec["paths"])
    refs = json.dumps(spec).count("#/components/schemas/")
    assert refs > 10 and all(name in spec["components"]["schemas"] for name in ("Job", "Error", "ForecastPoint"))
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/capacity/batch" in docs.data


def test_metrics_are_prometheus_text(client):
    client.post("/api/forecast", json={"hours_ahead": 0})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'capplan_http_request_duration_seconds_count{endpoint="/api/forecast",method="POST",status="400"}' in text
    assert "capplan_queue_depth" in text and "capplan_redis_up 1.0" in text


def test_request_id_is_echoed(client):
    assert client.get("/api/health", headers={"X-Request-ID": "abc.123"}).headers["X-Request-ID"] == "abc.123"
    generated = client.get("/api/health", headers={"X-Request-ID": "bad id!"}).headers["X-Request-ID"]
    assert generated != "bad id!" and len(generated) == 32


def test_api_process_never_imports_torch(redis_server):
    code = (
        "import sys\n"
        "from api import create_app\n"
        f"app = create_app({{'REDIS_URL': {redis_server.url!r}, 'LOG_LEVEL': 'ERROR', 'SYNC_WAIT_S': 0.1}})\n"
        "c = app.test_client()\n"
        "assert c.post('/api/forecast', json={'hours_ahead': 24, 'current_load': 5}).status_code in (200, 202)\n"
        "assert c.post('/api/capacity/recommendations', json={'current_capacity': 5, 'current_load': 1}).status_code\n"
        "c.get('/api/health'); c.get('/metrics'); c.get('/')\n"
        "assert 'torch' not in sys.modules, 'the API imported torch'\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_job_ids_that_we_never_make_are_404_not_other_keys(client):
    for job_id in ("abc:results", "x" * 65, "a%20b"):
        assert client.get(f"/api/jobs/{job_id}").status_code == 404


def test_a_job_failed_for_want_of_a_model_answers_503(app, monkeypatch):
    service = app.extensions["capplan"]
    error = {"code": "model_unavailable", "message": "the model is not loaded: no weights", "status": 503}
    monkeypatch.setattr(service.dispatcher, "submit",
                        lambda job_id: service.store.finish_many([(job_id, "failed", error)]))
    reply = app.test_client().post("/api/forecast", json=FORECAST)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
    assert reply.get_json()["error"]["code"] == "model_unavailable"


@pytest.mark.parametrize("path, body", [("/api/forecast", FORECAST), ("/api/capacity/batch", {"plans": [PLAN]})])
def test_unreachable_job_queue_is_503_and_fails_the_job(app, client, monkeypatch, path, body):
    from kombu.exceptions import OperationalError

    def refuse(*_args, **_kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(app.extensions["capplan"].celery, "send_task", refuse)
    key = f"queue-down-{path}"
    headers = {"Prefer": "respond-async", "Idempotency-Key": key}
    reply = client.post(path, json=body, headers=headers)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "1"
    assert "broker down" not in reply.get_data(as_text=True)
    # The job did not stay queued with no task behind it: a retry with the same key hears it failed.
    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 503 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["error"]["code"] == "service_unavailable"


def test_batch_plans_are_normalised_at_submission_and_a_bad_plan_keeps_its_error(app, client):
    plans = [{"id": "ok", "current_capacity": 500, "current_load": 100, "timestamp": "2024-01-15T10:30:00Z"},
             {"id": "bad", "current_capacity": -5, "current_load": 100}, "not a plan"]
    reply = client.post("/api/capacity/batch", json={"plans": plans}, headers={"Prefer": "respond-async"})
    assert reply.status_code == 202 and reply.get_json()["plans"] == 3    # one bad plan does not fail the batch
    chunk = app.extensions["capplan"].store.load_chunk(reply.get_json()["job_id"], 0)
    ok, bad, not_a_plan = chunk["plans"]
    assert ok == {"id": "ok", "request": {"hours_ahead": 168, "timestamp": "2024-01-15T10:00:00", "history": None,
                                          "current_load": 100.0, "gaps_filled": 0, "timestamp_assumed": False,
                                          "plan": {"current_capacity": 500}}}
    assert bad["id"] == "bad" and bad["error"]["code"] == "validation_error"
    assert "current_capacity" in bad["error"]["fields"] and "request" not in bad
    assert not_a_plan == {"id": "2", "error": {"code": "validation_error",
                                               "message": "plans[2]: must be a JSON object",
                                               "fields": {"plans[2]": "must be a JSON object"}}}
