"""The real stack: Redis, Celery worker processes with the shipped model, the API over HTTP."""
from __future__ import annotations

import csv
import io
import math
import time

import pytest
import redis

from tests.live_stack import http

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORIGINAL_FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
LAST_HOUR = "2024-03-04T23:00:00"    # the hour of the last value of the bare-number histories below
ORIGINAL_RECOMMENDATIONS = {"hours_ahead": 24, "current_capacity": 5000, "current_load": 1000,
                            "scaling_threshold": 0.8}
ORIGINAL_ANALYSIS = {"hours_ahead": 168, "current_capacity": 5000, "current_load": 1000, "scaling_threshold": 0.8}


def post(stack, path, body, **headers):
    return http("POST", stack.base_url + path, body, headers=headers)


def get(stack, path, **headers):
    return http("GET", stack.base_url + path, headers=headers)


def wait_job(stack, job_id, timeout=120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = get(stack, f"/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job}")


def test_health_reports_workers_model_and_redis(live_stack):
    reply = live_stack.health()
    body = reply.json()
    assert reply.status == 200
    assert body["status"] == "healthy" and body["model_loaded"] is True
    assert body["model"]["name"] and body["model"]["version"] and body["model"]["precision"] in ("fp32", "bf16")
    assert body["device"] == "cpu" and body["redis"]["reachable"] is True
    assert body["workers"]["live"] >= 2 and set(body["workers"]["queues"]) == {"interactive", "forecast", "batch"}
    assert len(body["timestamp"]) == 19


def test_original_forecast_example(live_stack):
    reply = post(live_stack, "/api/forecast", ORIGINAL_FORECAST)
    body = reply.json()
    assert reply.status == 200, body
    assert body["success"] is True and body["timestamp"] == "2024-01-15T10:00:00"
    points = body["forecast"]
    assert len(points) == 24 and points[0]["timestamp"] == "2024-01-15T11:00:00"
    assert points[-1]["timestamp"] == "2024-01-16T10:00:00"
    assert all(p["lower"] <= p["predicted_load"] <= p["upper"] for p in points)
    assert body["history_source"] == "synthetic" and body["method"]
    # Synthetic history is deterministic: the same request gives the same forecast.
    again = post(live_stack, "/api/forecast", ORIGINAL_FORECAST).json()
    assert again["forecast"] == points


def test_forecast_from_points_counts_filled_gaps(live_stack):
    points = [{"timestamp": f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00", "load": 500 + 10 * (h % 24)}
              for h in range(0, 400) if h % 50 != 7]   # 8 hours missing
    reply = post(live_stack, "/api/forecast", {"hours_ahead": 12, "history": points})
    body = reply.json()
    assert reply.status == 200, body
    assert body["history_source"] == "provided" and body["gaps_filled"] == 8
    assert body["history_hours"] == 400 and len(body["forecast"]) == 12
    assert body["timestamp"] == points[-1]["timestamp"]


def test_a_steadily_growing_history_is_served_the_seasonal_trend(live_stack):
    hours = range(5 * 168)                                        # 2% a day on a daily cycle: the level moves
    history = [round((500 + 300 * math.sin(2 * math.pi * h / 24)) * math.exp(0.02 * h / 24), 2) for h in hours]
    reply = post(live_stack, "/api/forecast", {"hours_ahead": 48, "history": history, "timestamp": LAST_HOUR})
    body = reply.json()
    assert reply.status == 200, body
    assert body["method"] == "seasonal_trend", body["notes"]
    assert body["backtest"]["mase_seasonal_trend"] < 0.75 * body["backtest"]["mase_seasonal_naive"]
    assert any("seasonal-trend forecast" in note for note in body["notes"])
    second_day = sum(p["predicted_load"] for p in body["forecast"][24:]) / 24
    assert second_day > sum(history[-24:]) / 24 * 1.02            # it keeps growing past the last day's level


def test_a_history_whose_day_levels_wander_has_its_last_day_carried_forward(live_stack):
    def load(h: int) -> float:                                    # each day's level follows a three-week wave
        return (500 + 300 * math.sin(2 * math.pi * h / 24)) * math.exp(0.15 * math.sin(2 * math.pi * (h // 24) / 20))

    history = [round(load(h), 2) for h in range(5 * 168)]
    request = {"hours_ahead": 48, "history": history, "timestamp": LAST_HOUR}
    reply = post(live_stack, "/api/forecast", request)
    body = reply.json()
    assert reply.status == 200, body
    assert body["method"] == "attention_bilstm", body["notes"]
    assert body["backtest"]["level_persistence"] > 0.5 and body["backtest"]["level_spread"] > 0.03
    assert any("persistence" in note and "day 1" in note for note in body["notes"]), body["notes"]


def test_original_recommendations_example(live_stack):
    reply = post(live_stack, "/api/capacity/recommendations", ORIGINAL_RECOMMENDATIONS)
    body = reply.json()
    assert reply.status == 200, body
    rec = body["recommendations"]
    for key in ("action", "urgency", "current_capacity", "recommended_capacity", "capacity_change",
                "capacity_change_percent", "metrics", "peak_hours", "message"):
        assert key in rec
    assert rec["current_capacity"] == 5000
    assert len(body["forecast"]["forecast"]) == 24 and body["history_source"] == "synthetic"


def test_analysis_is_a_job_whose_result_is_the_sync_body(live_stack):
    reply = post(live_stack, "/api/capacity/analyze", ORIGINAL_ANALYSIS)
    assert reply.status == 202, reply.body
    accepted = reply.json()
    assert reply.headers["Location"] == accepted["status_url"] == f"/api/jobs/{accepted['job_id']}"
    job = wait_job(live_stack, accepted["job_id"])
    assert job["status"] == "succeeded" and job["progress"] == {"done": 1, "total": 1}
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    analysis = job["result"]["analysis"]
    for key in ("summary", "load_statistics", "utilization_statistics", "risk_assessment", "hourly_patterns",
                "recommendations", "scaling_scenarios"):
        assert key in analysis
    for key in ("risk_level", "critical_hours", "over_capacity_hours", "under_utilized_hours"):
        assert key in analysis["risk_assessment"]
    assert set(analysis["scaling_scenarios"]) >= {"conservative", "balanced", "aggressive", "average_based"}
    waited = post(live_stack, "/api/capacity/analyze", ORIGINAL_ANALYSIS, Prefer="wait=60")
    assert waited.status == 200 and waited.headers.get("Preference-Applied") == "wait=60"
    assert waited.json() == job["result"]


def test_prefer_respond_async_forces_a_job(live_stack):
    reply = post(live_stack, "/api/forecast", ORIGINAL_FORECAST, Prefer="respond-async")
    assert reply.status == 202 and reply.headers["Preference-Applied"] == "respond-async"
    job = wait_job(live_stack, reply.json()["job_id"])
    assert job["kind"] == "forecast"
    assert job["result"] == post(live_stack, "/api/forecast", ORIGINAL_FORECAST).json()


def test_batch_of_1000_plans_pages_csv_and_portfolio(live_stack):
    plans = [{"id": f"svc-{i}", "current_capacity": 4000 + i, "current_load": 1000 + (i % 37) * 20,
              "hours_ahead": 168 if i % 2 else 48} for i in range(1000)]
    plans[3] = {"id": "bad-capacity", "current_capacity": -5, "current_load": 100}
    plans[500] = {"id": "bad-hours", "current_capacity": 10, "current_load": 1, "hours_ahead": 1000}
    reply = post(live_stack, "/api/capacity/batch", {"plans": plans})
    assert reply.status == 202, reply.body
    job_id = reply.json()["job_id"]
    job = wait_job(live_stack, job_id)
    assert job["status"] == "succeeded" and job["progress"] == {"done": 1000, "total": 1000}
    result = job["result"]
    assert result["plans"] == 1000 and result["failed"] == 2 and result["succeeded"] == 998
    assert result["portfolio"]["plans"] == 998
    page = get(live_stack, f"/api/jobs/{job_id}/results?offset=0&limit=10").json()
    assert [r["index"] for r in page["results"]] == list(range(10)) and page["total"] == 1000
    assert page["results"][3]["success"] is False
    assert "current_capacity" in page["results"][3]["error"]["fields"]
    assert page["results"][4]["recommendations"]["current_capacity"] == 4004
    last = get(live_stack, f"/api/jobs/{job_id}/results?offset=990&limit=100").json()["results"]
    assert [r["id"] for r in last] == [f"svc-{i}" for i in range(990, 1000)]
    csv_reply = get(live_stack, f"/api/jobs/{job_id}/results?format=csv")
    assert csv_reply.status == 200 and csv_reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_reply.body.decode())))
    assert len(rows) == 1000 and rows[500]["id"] == "bad-hours" and rows[500]["success"] == "False"
    assert "hours_ahead" in rows[500]["error"]


def test_cancel_then_cancel_again(live_stack):
    plans = [{"current_capacity": 100, "current_load": 50}] * 3000
    job_id = post(live_stack, "/api/capacity/batch", {"plans": plans}).json()["job_id"]
    reply = http("DELETE", f"{live_stack.base_url}/api/jobs/{job_id}")
    assert reply.status == 200 and reply.json()["status"] == "cancelled"
    assert get(live_stack, f"/api/jobs/{job_id}").json()["status"] == "cancelled"
    again = http("DELETE", f"{live_stack.base_url}/api/jobs/{job_id}")
    assert again.status == 409 and again.json()["error"]["code"] == "job_finished"


def test_unknown_job_is_404_and_expired_job_is_410(live_stack):
    missing = get(live_stack, "/api/jobs/never-issued")
    assert missing.status == 404 and missing.json()["success"] is False
    job_id = post(live_stack, "/api/forecast", ORIGINAL_FORECAST, Prefer="respond-async").json()["job_id"]
    wait_job(live_stack, job_id)
    redis.Redis.from_url(live_stack.redis_url).delete(f"capplan:job:{job_id}")   # as its TTL would
    gone = get(live_stack, f"/api/jobs/{job_id}")
    assert gone.status == 410 and gone.json()["error"]["code"] == "gone"


def test_idempotency_key_same_body_same_job_other_body_409(live_stack):
    key = {"Idempotency-Key": f"k-{time.time_ns()}"}
    first = post(live_stack, "/api/capacity/analyze", ORIGINAL_ANALYSIS, **key)
    assert first.status == 202
    job_id = first.json()["job_id"]
    second = post(live_stack, "/api/capacity/analyze", ORIGINAL_ANALYSIS, **key)
    assert second.headers.get("Idempotent-Replayed") == "true"
    if second.status == 202:                  # still running: the same job
        assert second.json()["job_id"] == job_id
    other = post(live_stack, "/api/capacity/analyze", {**ORIGINAL_ANALYSIS, "current_capacity": 7000}, **key)
    assert other.status == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    result = wait_job(live_stack, job_id)["result"]
    replay = post(live_stack, "/api/capacity/analyze", ORIGINAL_ANALYSIS, **key)
    assert replay.status == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == result and replay.headers["Content-Location"] == f"/api/jobs/{job_id}"


def test_request_id_follows_the_job_into_the_worker(live_stack):
    request_id = f"trace-{time.time_ns()}"
    reply = post(live_stack, "/api/forecast", ORIGINAL_FORECAST, **{"X-Request-ID": request_id})
    assert reply.status == 200 and reply.headers["X-Request-ID"] == request_id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        logs = live_stack.worker_log(0) + live_stack.worker_log(1)
        if request_id in logs:
            break
        time.sleep(0.1)
    line = next(l for l in logs.splitlines() if request_id in l)
    assert '"job_id"' in line and '"level"' in line


def test_metrics_expose_latency_queue_jobs_and_inference(live_stack):
    post(live_stack, "/api/forecast", ORIGINAL_FORECAST)
    text = get(live_stack, "/metrics").body.decode()
    for name in ("capplan_http_request_duration_seconds_bucket", "capplan_queue_depth",
                 "capplan_jobs_finished_total", "capplan_model_inference_seconds_count"):
        assert name in text
    assert 'endpoint="/api/forecast"' in text


EDGE_BODIES = {
    "zero load": {"hours_ahead": 24, "current_load": 0},
    "one value": {"hours_ahead": 6, "history": [5], "timestamp": "2024-01-15T10:00:00"},
    "a year of history": {"hours_ahead": 48, "history": [100.0 + h % 24 for h in range(8760)], "timestamp": LAST_HOUR},
    "all-zero history": {"hours_ahead": 12, "history": [0.0] * 400, "timestamp": "2024-01-15T10:00:00"},
    "unsorted duplicate points": {"hours_ahead": 3, "history": [
        {"timestamp": "2024-01-01T05:00:00Z", "load": 10}, {"timestamp": "2024-01-01T01:30:00", "load": 4},
        {"timestamp": "2024-01-01T01:10:00", "load": 2}]},
}


@pytest.mark.parametrize("name", list(EDGE_BODIES))
def test_edge_histories_still_forecast(live_stack, name):
    body = EDGE_BODIES[name]
    reply = post(live_stack, "/api/forecast", body)
    result = reply.json()
    assert reply.status == 200, result
    assert len(result["forecast"]) == body["hours_ahead"]
    assert all(0 <= p["lower"] <= p["predicted_load"] <= p["upper"] for p in result["forecast"])
