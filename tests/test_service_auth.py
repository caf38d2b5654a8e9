"""API keys end to end: the CLI with --api-key or CAPPLAN_API_KEY, and tenants apart on the real stack."""
from __future__ import annotations

import json
import time

import pytest

from capplan.cli import main
from tests.api_keys import PLAN, bearer
from tests.live_stack import http

pytestmark = pytest.mark.integration
FORECAST_ARGS = ["forecast", "--hours", "6", "--current-load", "1000", "--last-hour", "2024-01-15T10", "--json"]


def test_the_cli_sends_its_key_from_the_flag_or_the_environment(keyed_api, capsys, monkeypatch):
    monkeypatch.delenv("CAPPLAN_API_KEY", raising=False)
    assert main([*FORECAST_ARGS, "--url", keyed_api.base_url]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "--api-key or CAPPLAN_API_KEY" in err
    assert main([*FORECAST_ARGS, "--url", keyed_api.base_url, "--api-key", keyed_api.keys["alpha"]]) == 0
    assert len(json.loads(capsys.readouterr().out)["forecast"]) == 6
    monkeypatch.setenv("CAPPLAN_API_KEY", keyed_api.keys["beta"])
    assert main([*FORECAST_ARGS, "--url", keyed_api.base_url]) == 0
    assert len(json.loads(capsys.readouterr().out)["forecast"]) == 6


def test_a_finished_batch_is_its_tenants_alone(keyed_api):
    url, alpha, beta = keyed_api.base_url, bearer(keyed_api.keys["alpha"]), bearer(keyed_api.keys["beta"])
    reply = http("POST", url + "/api/capacity/batch", {"plans": [PLAN, {**PLAN, "id": "db"}]}, alpha)
    assert reply.status == 202
    job_id = reply.json()["job_id"]
    deadline = time.monotonic() + 60
    while http("GET", f"{url}/api/jobs/{job_id}", headers=alpha).json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.2)
    csv_reply = http("GET", f"{url}/api/jobs/{job_id}/results?format=csv", headers=alpha)
    assert csv_reply.status == 200 and b"db" in csv_reply.body
    for path in (f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/results?format=csv", f"/api/jobs/{job_id}/results"):
        other = http("GET", url + path, headers=beta)
        assert other.status == 404 and job_id.encode() not in other.body, path
    assert http("GET", f"{url}/api/jobs/{job_id}").status == 401
