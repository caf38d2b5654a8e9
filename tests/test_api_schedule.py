"""GET /api/jobs/{id}/schedule and /api/jobs/{id}/results/{plan_id}/schedule on the app, with a real Redis.

Jobs are stored as workers store them: an analysis result from planning itself, a batch run chunk by
chunk on the stand-in forecaster (tests/test_service_schedule.py runs both through real workers).
"""
from __future__ import annotations

import csv
import io
import json

import yaml

from exports.model import safe_label
from tests.schedule_fixtures import analysis_result
from tests.stand_in_forecaster import StandInForecaster


def analysis_job(app, result: dict | None = None, finished: bool = True) -> str:
    store = app.extensions["capplan"].store
    job_id = store.create("analysis", {})
    if finished:
        store.start([job_id])
        store.finish_many([(job_id, "succeeded", result or analysis_result(max_capacity=5000))])
    return job_id


def batch_job(app, plans: list[dict]) -> str:
    from api.job_requests import batch_entries
    from workers.batch_runner import run_batch_chunk

    store = app.extensions["capplan"].store
    job_id = store.create("batch", {}, total=len(plans))
    pipe = store.redis.pipeline()
    entries = batch_entries({"plans": plans})
    store.store_chunks(job_id, [{"offset": 0, "plans": entries}], pipe)
    store.store_plan_ids(job_id, [entry["id"] for entry in entries], pipe)
    pipe.execute()
    run_batch_chunk(store, StandInForecaster(), job_id, 0, 1)
    return job_id


PLANS = [{"id": "web/eu", "current_capacity": 3000, "current_load": 1500, "unit_capacity": 250,
          "max_capacity": 6000, "hours_ahead": 168},
         {"current_capacity": 3000, "current_load": 1500, "hours_ahead": 168},
         {"id": "broken", "current_capacity": 3000}]


def test_an_analysis_job_downloads_as_each_format(client, app):
    job_id = analysis_job(app)
    keda = client.get(f"/api/jobs/{job_id}/schedule?format=keda&tz=Europe/Paris&target=web")
    assert keda.status_code == 200 and keda.mimetype == "application/yaml"
    assert keda.headers["Content-Disposition"] == f'attachment; filename="schedule-{safe_label(job_id)}-keda.yaml"'
    doc = yaml.safe_load(keda.get_data(as_text=True))
    assert doc["kind"] == "ScaledObject" and doc["spec"]["triggers"][0]["metadata"]["timezone"] == "Europe/Paris"
    assert max(int(t["metadata"]["desiredReplicas"]) for t in doc["spec"]["triggers"]) <= 20   # max_capacity 5000
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/jobs/{job_id}/schedule").get_data(as_text=True))))
    assert len(rows) == len(doc["spec"]["triggers"])                # csv is the default
    assert yaml.safe_load(client.get(f"/api/jobs/{job_id}/schedule?format=cronhpa").get_data(as_text=True))[
        "kind"] == "CronHorizontalPodAutoscaler"
    aws = client.get(f"/api/jobs/{job_id}/schedule?format=aws&asg=web-asg")
    # The fixture's schedule starts in December 2026: every step is still to come.
    assert aws.status_code == 200 and aws.mimetype == "application/json"
    assert len(json.loads(aws.get_data())["ScheduledUpdateGroupActions"]) == len(rows)


def test_bad_parameters_are_400s_that_name_them(client, app):
    job_id = analysis_job(app)
    for query, field in [("format=yml", "format"), ("tz=Mars/Olympus", "tz"), ("tz=" + "a" * 300, "tz"),
                         ("format=aws", "asg"),
                         ("format=keda&target=Web_App", "target"), ("format=aws&asg=" + "a" * 256, "asg")]:
        reply = client.get(f"/api/jobs/{job_id}/schedule?{query}")
        assert reply.status_code == 400 and field in reply.get_json()["error"]["fields"], query
    unitless = analysis_job(app, analysis_result(unit_capacity=None))
    for fmt in ("keda", "cronhpa", "aws"):
        reply = client.get(f"/api/jobs/{unitless}/schedule?format={fmt}&asg=a")
        assert reply.status_code == 400 and "unit_capacity" in reply.get_json()["error"]["fields"]
        assert "unit_capacity was not given in the plan" in reply.get_json()["error"]["message"]
    assert client.get(f"/api/jobs/{unitless}/schedule?format=csv").status_code == 200


def test_unfinished_unknown_and_wrong_kind_of_jobs(client, app):
    queued = analysis_job(app, finished=False)
    reply = client.get(f"/api/jobs/{queued}/schedule?format=keda")
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == "job_not_finished"
    assert client.get("/api/jobs/no-such-job/schedule").status_code == 404
    assert client.get("/api/jobs/no-such-job/results/0/schedule").status_code == 404
    batch = batch_job(app, PLANS)
    assert "job_id" in client.get(f"/api/jobs/{batch}/schedule").get_json()["error"]["fields"]
    assert "job_id" in client.get(f"/api/jobs/{queued}/results/0/schedule").get_json()["error"]["fields"]


def test_each_batch_plan_downloads_by_its_id(client, app):
    job_id = batch_job(app, PLANS)
    keda = client.get(f"/api/jobs/{job_id}/results/web%2Feu/schedule?format=keda")   # an id with a slash
    assert keda.status_code == 200, keda.get_json()
    doc = yaml.safe_load(keda.get_data(as_text=True))
    triggers = doc["spec"]["triggers"]
    assert doc["spec"]["scaleTargetRef"]["name"] == "workload"          # web/eu is no Kubernetes name
    assert triggers and all(1 <= int(t["metadata"]["desiredReplicas"]) <= 24 for t in triggers)
    stored = client.get(f"/api/jobs/{job_id}/results?limit=1").get_json()["results"][0]["schedule"]
    assert len(triggers) == len(stored["steps"]["hour"]) == stored["scaling_actions"]
    unnamed = client.get(f"/api/jobs/{job_id}/results/1/schedule?format=csv")   # no id: its index
    assert unnamed.status_code == 200 and len(unnamed.get_data(as_text=True).splitlines()) > 1
    assert client.get(f"/api/jobs/{job_id}/results/1/schedule?format=keda").status_code == 400   # no units
    failed = client.get(f"/api/jobs/{job_id}/results/broken/schedule")
    assert failed.status_code == 409 and failed.get_json()["error"]["code"] == "plan_failed"
    assert "broken" in failed.get_json()["error"]["message"]
    assert client.get(f"/api/jobs/{job_id}/results/nobody/schedule").status_code == 404


def test_a_plan_id_names_the_first_plan_that_has_it(client, app):
    plan = {"current_capacity": 3000, "current_load": 1500, "unit_capacity": 250, "hours_ahead": 24}
    ids = ["3", "web", "web", "x", "5", "5"]          # "3" and "5" are also indexes; "web" repeats
    job_id = batch_job(app, [{**plan, "id": plan_id, "current_load": 1000 + 100 * i} for i, plan_id in enumerate(ids)])

    store = app.extensions["capplan"].store
    assert [store.plan_index(job_id, i) for i in ("3", "web", "x", "5", "0", "7", "05")] == [0, 1, 3, 4, 0, 7, None]
    for plan_id in ("3", "web", "x", "5"):
        reply = client.get(f"/api/jobs/{job_id}/results/{plan_id}/schedule?format=csv")
        assert reply.status_code == 200, (plan_id, reply.get_json())
    assert client.get(f"/api/jobs/{job_id}/results/0/schedule").status_code == 404     # plan 0 is "3"
    assert client.get(f"/api/jobs/{job_id}/results/2/schedule").status_code == 404
