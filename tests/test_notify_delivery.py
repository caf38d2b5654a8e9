"""Events, signatures, alerts and one delivery at a time: a real Redis job store and a real HTTP receiver."""
from __future__ import annotations

import json

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_structured_event

from connectors.alertmanager import breach_alert
from connectors.delivery import RetryableDelivery
from connectors.targets import parse_connectors
from connectors.webhooks import BREACH_PREDICTED, FINISHED, signature
from jobs.notifications import NotificationLog
from tests.signatures import hmac_sha256, verify
from tests.webhook_receiver import WebhookReceiver
from workers import notifications

SECRET = "whsec-test-7f3a9c"
HOURS = ["2024-01-15T11:00:00", "2024-01-15T12:00:00", "2024-01-15T13:00:00"]


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"specversion":"1.0"}'
    assert signature(SECRET.encode(), 1733330000, body) == "sha256=" + hmac_sha256(
        SECRET.encode(), b"1733330000." + body)
    assert signature(SECRET.encode(), 1733330001, body) != signature(SECRET.encode(), 1733330000, body)
    long_key = b"k" * 100                                   # keys longer than a block are hashed first
    assert signature(long_key, 1, body) == "sha256=" + hmac_sha256(long_key, b"1." + body)


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.close()


@pytest.fixture
def environ(monkeypatch):
    monkeypatch.setenv("CAPPLAN_TEST_HOOK_SECRET", SECRET)


def connectors_for(url: str, **extra):
    return parse_connectors({"webhooks": {"ops": {"url": url + "/hook", "secret_env": "CAPPLAN_TEST_HOOK_SECRET",
                                                  **extra}},
                             "alertmanager": {"main": {"url": url}}}, "test")


def finished_job(store, upper: list[float], status: str = "succeeded") -> str:
    request = {"hours_ahead": 3, "timestamp": "2024-01-15T10:00:00", "history": None, "current_load": 800.0,
               "gaps_filled": 0, "plan": {"current_capacity": 1000}, "notify": ["ops", "main"]}
    job_id = store.create("analysis", request)
    store.start([job_id])
    points = [{"timestamp": t, "predicted_load": u - 50, "lower": u - 100, "upper": u} for t, u in zip(HOURS, upper)]
    body = {"success": True, "forecast": {"forecast": points}, "analysis": {"recommendations": {
        "recommended_capacity": 1500}}} if status == "succeeded" else {
        "code": "timeout", "message": "the job ran past its time limit", "status": 504}
    assert store.finish_many([(job_id, status, body)]) == [True]
    return job_id


def test_a_predicted_breach_is_posted_as_a_signed_cloudevent(store, receiver, environ):
    job_id = finished_job(store, [700.0, 850.0, 900.0])
    outcome = notifications.deliver(store, connectors_for(receiver.url), job_id, "ops", attempt=1, final=False)
    assert outcome == "delivered"
    (got,) = receiver.wait_for(1)
    assert got.path == "/hook" and got.headers["Content-Type"] == "application/cloudevents+json"
    assert verify(got.headers, got.body, SECRET)
    assert not verify(got.headers, got.body.replace(b"succeeded", b"failed"), SECRET)
    event = from_structured_event(HTTPMessage(headers=got.headers, body=got.body))   # the SDK's own checks
    assert (event.get_type(), event.get_subject(), event.get_source()) == (
        BREACH_PREDICTED, job_id, f"/capplan/jobs/{job_id}")
    data = json.loads(got.body)["data"]
    assert data["job_id"] == job_id and data["status"] == "succeeded" and data["breach_count"] == 1
    (breach,) = data["breaches"]
    assert (breach["plan"], breach["start"], breach["end"], breach["severity"]) == (
        job_id, "2024-01-15T12:00:00", "2024-01-15T14:00:00", "critical")
    assert breach["peak"] == {"timestamp": "2024-01-15T13:00:00", "p90_load": 900.0, "p90_utilization": 0.9}
    assert breach["recommended_capacity"] == 1500
    note = store.get(job_id)["notifications"]
    assert [n for n in note if n["target"] == "ops"] == [{
        "target": "ops", "type": BREACH_PREDICTED, "attempts": 1, "status": "delivered", "last_error": None,
        "delivered_at": note[-1]["delivered_at"]}]
    assert SECRET not in json.dumps(store.get(job_id))


def test_a_job_without_breach_is_job_finished_and_alertmanager_hears_nothing(store, receiver, environ):
    job_id = finished_job(store, [500.0, 600.0, 700.0])
    connectors = connectors_for(receiver.url)
    assert notifications.deliver(store, connectors, job_id, "main", attempt=1, final=False) == "skipped"
    assert notifications.deliver(store, connectors, job_id, "ops", attempt=1, final=False) == "delivered"
    (got,) = receiver.wait_for(1)                         # the webhook's; none went to /api/v2/alerts
    event = json.loads(got.body)
    assert event["type"] == FINISHED and event["data"]["breaches"] == []
    statuses = {n["target"]: n["status"] for n in store.get(job_id)["notifications"]}
    assert statuses == {"main": "skipped", "ops": "delivered"}


def test_a_failed_job_says_why_in_its_event(store, receiver, environ):
    job_id = finished_job(store, [], status="failed")
    notifications.deliver(store, connectors_for(receiver.url), job_id, "ops", attempt=1, final=False)
    data = json.loads(receiver.wait_for(1)[0].body)["data"]
    assert data["status"] == "failed" and data["error"] == {"code": "timeout",
                                                            "message": "the job ran past its time limit"}


def test_5xx_is_retried_with_the_same_event_until_the_last_attempt(store, receiver, environ):
    receiver.reset(fail_first=10)
    job_id = finished_job(store, [900.0, 900.0, 900.0])
    connectors = connectors_for(receiver.url)
    with pytest.raises(RetryableDelivery):
        notifications.deliver(store, connectors, job_id, "ops", attempt=1, final=False)
    (note,) = [n for n in store.get(job_id)["notifications"] if n["target"] == "ops"]
    assert (note["status"], note["attempts"], note["last_error"]) == ("retrying", 1, {"code": "http_error",
                                                                                       "status": 500})
    assert notifications.deliver(store, connectors, job_id, "ops", attempt=6, final=True) == "failed"
    assert NotificationLog(store).current(job_id, "ops")["status"] == "failed"
    first, last = receiver.wait_for(2)
    assert json.loads(first.body)["id"] == json.loads(last.body)["id"]          # one event, delivered twice
    assert verify(first.headers, first.body, SECRET) and verify(last.headers, last.body, SECRET)


def test_4xx_and_a_missing_secret_fail_at_once(store, receiver, monkeypatch):
    receiver.reset(fail_first=1, fail_status=404)
    monkeypatch.setenv("CAPPLAN_TEST_HOOK_SECRET", SECRET)
    job_id = finished_job(store, [900.0, 900.0, 900.0])
    assert notifications.deliver(store, connectors_for(receiver.url), job_id, "ops", 1, final=False) == "failed"
    assert NotificationLog(store).current(job_id, "ops")["last_error"] == {"code": "http_error", "status": 404}
    monkeypatch.delenv("CAPPLAN_TEST_HOOK_SECRET")
    assert notifications.deliver(store, connectors_for(receiver.url), job_id, "ops", 1, final=False) == "failed"
    assert NotificationLog(store).current(job_id, "ops")["last_error"] == {"code": "credential_missing"}
    assert len(receiver.received) == 1                     # nothing unsigned went out


def test_the_alert_carries_the_plan_severity_and_breach_times():
    breach = {"start": "2024-01-15T20:00:00", "end": "2024-01-16T02:00:00", "severity": "warning",
              "peak": {"timestamp": "2024-01-15T23:00:00", "p90_load": 1900.5, "p90_utilization": 0.95},
              "current_capacity": 2000, "scaling_threshold": 0.8, "recommended_capacity": 2600}
    alert = breach_alert("web", breach, "2024-01-15T10:00:05Z")
    assert alert["labels"] == {"alertname": "CapacityBreachPredicted", "plan": "web", "severity": "warning"}
    assert (alert["startsAt"], alert["endsAt"]) == ("2024-01-15T10:00:05Z", "2024-01-16T02:00:00Z")
    notes = alert["annotations"]
    assert (notes["breach_start"], notes["peak"], notes["recommended_capacity"]) == (
        "2024-01-15T20:00:00Z", "2024-01-15T23:00:00Z", "2600")
    assert "web" in notes["summary"] and "2600" in notes["summary"]
    assert "generatorURL" not in alert                        # no PUBLIC_URL: no address to link to
    linked = breach_alert("web", breach, "2024-01-15T10:00:05Z", "https://capplan.example.com/api/jobs/j1")
    assert linked["generatorURL"] == "https://capplan.example.com/api/jobs/j1"


def test_with_public_url_the_events_links_are_absolute(store, receiver, environ):
    job_id = finished_job(store, [500.0, 600.0, 700.0])
    notifications.deliver(store, connectors_for(receiver.url), job_id, "ops", attempt=1, final=False,
                          public_url="https://capplan.example.com/")
    links = json.loads(receiver.wait_for(1)[0].body)["data"]["links"]
    assert links == {"job": f"https://capplan.example.com/api/jobs/{job_id}"}
