"""What the answers say they assumed, on the shipped model: the runner and batch chunks called directly."""
from __future__ import annotations

import json

import pytest

from api.job_requests import REQUEST_MODELS, job_request, validated

STAMP = "2024-01-15T10:00:00"


def answer(forecaster, kind: str, body: dict) -> dict:
    """The body a worker stores for ``body`` posted as ``kind``."""
    from workers.runner import job_bodies

    request = job_request(kind, validated(REQUEST_MODELS[kind], body))
    [(_, status, result)] = job_bodies(forecaster, [{"job_id": "j", "kind": kind, "request": request}])
    assert status == "succeeded", result
    return result


def codes(body: dict) -> list[str]:
    return [a["code"] for a in body["assumptions"]]


@pytest.mark.parametrize("kind", ["forecast", "recommendations", "analysis"])
def test_without_history_the_answer_says_it_is_synthetic_and_of_low_confidence(forecaster, kind):
    body = answer(forecaster, kind, {"hours_ahead": 24, "current_load": 1000, "current_capacity": 5000}
                  if kind != "forecast" else {"hours_ahead": 24, "current_load": 1000})
    assert codes(body) == ["synthetic_history", "default_timestamp"] and body["confidence"] == "low"
    assert all(a["message"] for a in body["assumptions"])
    if kind != "forecast":
        rec = body["recommendations"] if kind == "recommendations" else body["analysis"]["recommendations"]
        assert rec["message"].startswith("Low confidence: no history was sent")
        assert body["forecast"]["assumptions"] == body["assumptions"]


def test_a_short_gappy_history_is_padded_and_filled_and_said_so(forecaster):
    points = [{"timestamp": f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00", "load": 500 + 10 * (h % 24)}
              for h in range(400) if h % 50 != 7]
    body = answer(forecaster, "recommendations", {"history": points, "current_capacity": 900})
    assert codes(body) == ["padded_history", "gaps_filled"] and body["confidence"] == "normal"
    assert "8 hours" in body["assumptions"][1]["message"]
    assert not body["recommendations"]["message"].startswith("Low confidence")


def test_four_weeks_of_history_and_a_timestamp_assume_nothing(forecaster):
    history = [500.0 + 10 * (h % 24) for h in range(5 * 168)]
    body = answer(forecaster, "forecast", {"history": history, "timestamp": STAMP})
    assert body["assumptions"] == [] and body["confidence"] == "normal"


def test_every_value_at_the_edge_of_its_domain_gives_a_finite_answer(forecaster):
    edges = {"hours_ahead": 168, "current_load": 1e12, "current_capacity": 1e12, "scaling_threshold": 0.01,
             "unit_capacity": 0.01, "unit_cost_per_hour": 1e9, "lead_time_hours": 8760, "min_hold_hours": 8760,
             "headroom": 10, "hysteresis": 10, "min_capacity": 1e12, "max_capacity": 1e12, "timestamp": STAMP}
    body = answer(forecaster, "analysis", {**edges, "history": [1e12, 0.0] * 400})
    json.dumps(body, allow_nan=False)                     # raises on NaN or infinity anywhere
    assert body["analysis"]["recommendations"]["action"] in ("scale_up", "scale_down", "maintain")


@pytest.mark.integration
def test_values_at_the_edges_of_their_domains_answer_200_over_http(live_stack):
    from tests.live_stack import http

    edges = {"hours_ahead": 24, "current_load": 1e12, "current_capacity": 1e12, "scaling_threshold": 0.01,
             "unit_capacity": 0.01, "unit_cost_per_hour": 1e9, "lead_time_hours": 8760, "min_hold_hours": 8760,
             "headroom": 10, "hysteresis": 10, "min_capacity": 1e12, "max_capacity": 1e12}
    reply = http("POST", live_stack.base_url + "/api/capacity/recommendations", edges)
    body = reply.json()
    assert reply.status == 200, body
    assert codes(body) == ["synthetic_history", "default_timestamp"] and body["confidence"] == "low"


def test_a_batch_plan_with_two_bad_fields_fails_alone_and_the_good_one_runs(app, client, forecaster):
    from workers.batch_runner import run_batch_chunk

    plans = [{"id": "bad", "current_capacity": -1, "scaling_threshold": 2, "current_load": 5},
             {"id": "good", "current_capacity": 500, "current_load": 100}]
    reply = client.post("/api/capacity/batch", json={"plans": plans})
    assert reply.status_code == 202
    store = app.extensions["capplan"].store
    job_id = reply.get_json()["job_id"]
    assert run_batch_chunk(store, forecaster, job_id, 0, 1) == 2
    bad, good = store.plan_results(job_id)
    assert bad["success"] is False and set(bad["error"]["fields"]) == {"current_capacity", "scaling_threshold"}
    assert good["success"] is True and good["confidence"] == "low"
    assert [a["code"] for a in good["assumptions"]] == ["synthetic_history", "default_timestamp"]
    assert good["recommendations"]["message"].startswith("Low confidence")
    assert store.get(job_id)["result"]["succeeded"] == 1
