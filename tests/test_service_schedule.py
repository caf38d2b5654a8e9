"""Schedule exports on the live stack: an analysis and a batch run by real workers, then downloaded over HTTP,
through the CLI, and refused to another tenant."""
from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timezone

import pytest
import yaml

from capplan.cli import main
from tests.api_keys import bearer
from tests.live_stack import http
from tests.test_service_integration import get, post, wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The plan's hour is left out: the forecast starts now, so every export has steps still to come.
PLAN = {"hours_ahead": 168, "current_capacity": 1500, "current_load": 1000, "unit_capacity": 100,
        "min_capacity": 400, "max_capacity": 3000, "lead_time_hours": 1, "min_hold_hours": 2}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module")
def analysis_job(live_stack) -> str:
    accepted = post(live_stack, "/api/capacity/analyze", PLAN, **ASYNC)
    assert accepted.status == 202
    job = wait_job(live_stack, accepted.json()["job_id"])
    assert job["status"] == "succeeded" and job["result"]["analysis"]["scaling_schedule"]["scaling_actions"] > 0
    return job["job_id"]


@pytest.fixture(scope="module")
def batch_job(live_stack) -> str:
    plans = [{**PLAN, "id": "web"}, {**PLAN, "id": "db", "current_load": 300, "unit_capacity": None},
             {"id": "broken", "current_capacity": 10}]
    plans[1].pop("unit_capacity")
    accepted = post(live_stack, "/api/capacity/batch", {"plans": plans})
    job = wait_job(live_stack, accepted.json()["job_id"])
    assert job["status"] == "succeeded" and job["result"]["failed"] == 1
    return job["job_id"]


def test_an_analysis_job_downloads_a_keda_scaled_object(live_stack, analysis_job):
    reply = get(live_stack, f"/api/jobs/{analysis_job}/schedule?format=keda&tz=America/New_York&target=web")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/yaml")
    doc = yaml.safe_load(reply.body)
    schedule = get(live_stack, f"/api/jobs/{analysis_job}").json()["result"]["analysis"]["scaling_schedule"]
    triggers = doc["spec"]["triggers"]
    assert len(triggers) == schedule["scaling_actions"]
    for trigger in triggers:
        meta = trigger["metadata"]
        assert meta["timezone"] == "America/New_York" and meta["start"] != meta["end"]
        assert all(len(meta[k].split()) == 5 for k in ("start", "end"))
        assert 4 <= int(meta["desiredReplicas"]) <= 30                 # min and max capacity in instances
    csv_rows = list(csv.DictReader(io.StringIO(get(live_stack, f"/api/jobs/{analysis_job}/schedule").body.decode())))
    assert [int(r["instances"]) for r in csv_rows] == [int(t["metadata"]["desiredReplicas"]) for t in triggers]


def test_aws_actions_of_an_analysis_start_in_the_future(live_stack, analysis_job):
    asked = datetime.now(timezone.utc)
    reply = get(live_stack, f"/api/jobs/{analysis_job}/schedule?format=aws&asg=web-asg")
    body = reply.json()
    calls = body if isinstance(body, list) else [body]
    actions = [a for call in calls for a in call["ScheduledUpdateGroupActions"]]
    assert actions and all(len(call["ScheduledUpdateGroupActions"]) <= 50 for call in calls)
    for action in actions:
        start = datetime.strptime(action["StartTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert start > asked and 4 <= action["MinSize"] <= 30
    missing = get(live_stack, f"/api/jobs/{analysis_job}/schedule?format=aws")
    assert missing.status == 400 and "asg" in missing.json()["error"]["fields"]
    assert "format" in get(live_stack, f"/api/jobs/{analysis_job}/schedule?format=helm").json()["error"]["fields"]


def test_each_batch_plan_downloads_its_own_schedule(live_stack, batch_job):
    reply = get(live_stack, f"/api/jobs/{batch_job}/results/web/schedule?format=cronhpa")
    assert reply.status == 200
    jobs = yaml.safe_load(reply.body)["spec"]["jobs"]
    assert jobs and all(j["schedule"].startswith("@date ") and 4 <= j["targetSize"] <= 30 for j in jobs)
    unitless = get(live_stack, f"/api/jobs/{batch_job}/results/db/schedule?format=keda")
    assert unitless.status == 400 and "unit_capacity" in unitless.json()["error"]["fields"]
    assert get(live_stack, f"/api/jobs/{batch_job}/results/db/schedule?format=csv").status == 200
    failed = get(live_stack, f"/api/jobs/{batch_job}/results/broken/schedule")
    assert failed.status == 409 and "broken" in failed.json()["error"]["message"]


def test_the_cli_prints_a_plans_keda_yaml_and_exits_2_for_a_failed_plan(live_stack, batch_job, capsys):
    assert main(["schedule", batch_job, "--plan", "web", "--format", "keda", "--url", live_stack.base_url]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["kind"] == "ScaledObject"
    assert main(["schedule", batch_job, "--plan", "web", "--format", "aws", "--asg", "g",
                 "--url", live_stack.base_url]) == 0
    printed = json.loads(capsys.readouterr().out)
    calls = printed if isinstance(printed, list) else [printed]       # over 50 actions: one body per call
    assert calls and all(call["AutoScalingGroupName"] == "g" for call in calls)
    assert main(["schedule", batch_job, "--plan", "broken", "--format", "csv", "--url", live_stack.base_url]) == 2
    assert "failed" in capsys.readouterr().err
    assert main(["schedule", batch_job, "--plan", "db", "--format", "keda", "--url", live_stack.base_url]) == 1
    assert "unit_capacity" in capsys.readouterr().err


def test_another_tenants_job_is_404(keyed_api):
    alpha, beta = bearer(keyed_api.keys["alpha"]), bearer(keyed_api.keys["beta"])
    accepted = http("POST", keyed_api.base_url + "/api/capacity/analyze", PLAN, headers={**alpha, **ASYNC}).json()
    path = f"/api/jobs/{accepted['job_id']}"
    for _ in range(600):
        if http("GET", keyed_api.base_url + path, headers=alpha).json()["status"] == "succeeded":
            break
        time.sleep(0.1)
    assert http("GET", keyed_api.base_url + path + "/schedule?format=keda", headers=alpha).status == 200
    other = http("GET", keyed_api.base_url + path + "/schedule?format=keda", headers=beta)
    assert other.status == 404 and accepted["job_id"] not in other.body.decode()
