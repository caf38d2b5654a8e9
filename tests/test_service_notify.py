"""Predicted breaches, pushed, on the real stack: Redis, a Celery worker, the API, a real HTTP receiver and
a real Alertmanager (skipped loudly when absent), with retry waits shortened by NOTIFY_RETRY_BACKOFF_S."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import redis

from tests.alertmanager_server import AlertmanagerProcess, alertmanager_binary, require_alertmanager
from tests.live_stack import LiveStack, http
from tests.signatures import verify
from tests.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET, TOKEN = "whsec-live-3b1f0c9e", "am-token-live-52d7a1"
PUBLIC = "https://capplan.example.com"                 # PUBLIC_URL: where events and alerts link to
# Load at twice the capacity: p90 is over 80% of it from the first hour at any hour of the day (at 1050, a
# night-time trough could start the breach hours later, and as a warning).
BREACHING = {"current_load": 1000, "current_capacity": 500, "hours_ahead": 24}
CALM = {"current_load": 1000, "current_capacity": 100000, "hours_ahead": 24}


@pytest.fixture(scope="module")
def notify_stack(tmp_path_factory):
    ops, flaky = WebhookReceiver().start(), WebhookReceiver().start()
    binary = alertmanager_binary()
    alertmanager = AlertmanagerProcess(binary).start() if binary else None
    config = tmp_path_factory.mktemp("notify") / "capplan.toml"
    config.write_text(f"""
[webhooks.ops]
url = "{ops.url}/hooks/capplan"
secret_env = "CAPPLAN_TEST_HOOK_SECRET"

[webhooks.flaky]
url = "{flaky.url}/flaky"
secret_env = "CAPPLAN_TEST_HOOK_SECRET"

[alertmanager.main]
url = "{alertmanager.url if alertmanager else 'http://127.0.0.1:9'}"
bearer_token_env = "CAPPLAN_TEST_AM_TOKEN"
""", encoding="utf-8")
    stack = LiveStack(workers=1, settings={"CAPPLAN_CONFIG": str(config), "NOTIFY_RETRY_BACKOFF_S": 0.2,
                                           "PUBLIC_URL": PUBLIC, "BATCH_CHUNK_SIZE": 2, "SYNC_WAIT_S": 20})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CAPPLAN_TEST_HOOK_SECRET", SECRET)      # the workers' environment, as deployed
        env.setenv("CAPPLAN_TEST_AM_TOKEN", TOKEN)
        try:
            stack.start()
            yield SimpleNamespace(stack=stack, url=stack.base_url, ops=ops, flaky=flaky, alertmanager=alertmanager,
                                  replies=[])
        finally:
            stack.close()
            ops.close()
            flaky.close()
            if alertmanager is not None:
                alertmanager.close()


def submit(ns, path: str, body: dict) -> str:
    reply = http("POST", ns.url + path, body, {"Prefer": "respond-async"})
    assert reply.status == 202, reply.body
    ns.replies.append(reply.body)
    return reply.json()["job_id"]


def notes_when(ns, job_id: str, done, timeout: float = 60.0) -> list[dict]:
    """The job's notifications once ``done(notifications)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = http("GET", f"{ns.url}/api/jobs/{job_id}")
        ns.replies.append(reply.body)
        notes = reply.json().get("notifications") or []
        if notes and done(notes):
            return notes
        time.sleep(0.1)
    raise AssertionError(f"notifications of {job_id} not as expected within {timeout} s: {reply.json()}")


def settled(notes: list[dict]) -> bool:
    return all(n["status"] in ("delivered", "failed", "skipped") for n in notes)


def test_a_predicted_breach_arrives_as_a_signed_cloudevent(notify_stack):
    ns = notify_stack
    job_id = submit(ns, "/api/capacity/analyze", {**BREACHING, "notify": ["ops"]})
    (got,) = ns.ops.wait_for(1)
    assert got.path == "/hooks/capplan" and verify(got.headers, got.body, SECRET)
    assert abs(int(got.headers["X-Capplan-Timestamp"]) - time.time()) < 120
    event = json.loads(got.body)
    assert (event["specversion"], event["type"], event["subject"]) == (
        "1.0", "io.capplan.capacity.breach_predicted", job_id)
    (breach,) = event["data"]["breaches"]
    assert breach["plan"] == job_id and breach["starts_in_hours"] == 1 and breach["severity"] == "critical"
    assert breach["recommended_capacity"] > BREACHING["current_capacity"]
    assert event["data"]["links"] == {"job": f"{PUBLIC}/api/jobs/{job_id}"}
    (note,) = notes_when(ns, job_id, settled)
    assert (note["target"], note["status"], note["attempts"], note["type"]) == (
        "ops", "delivered", 1, "io.capplan.capacity.breach_predicted")


def test_a_receiver_failing_twice_gets_the_same_event_three_times(notify_stack):
    ns = notify_stack
    ns.flaky.reset(fail_first=2)
    job_id = submit(ns, "/api/capacity/recommendations", {**BREACHING, "notify": ["flaky"]})
    got = ns.flaky.wait_for(3)
    assert [r.answered for r in got] == [500, 500, 204]
    assert len({json.loads(r.body)["id"] for r in got}) == 1 and all(verify(r.headers, r.body, SECRET) for r in got)
    (note,) = notes_when(ns, job_id, settled)
    assert (note["status"], note["attempts"], note["last_error"]) == ("delivered", 3, None)
    metrics = http("GET", ns.url + "/metrics").body.decode()
    counted = dict(re.findall(r'capplan_notifications_total\{outcome="(\w+)",target="flaky"\} ([\d.]+)', metrics))
    assert counted == {"retried": "2.0", "delivered": "1.0"}, metrics


def test_a_job_without_breach_is_finished_and_tells_alertmanager_nothing(notify_stack):
    ns = notify_stack
    ns.ops.reset()
    job_id = submit(ns, "/api/capacity/analyze", {**CALM, "notify": ["ops", "main"]})
    notes = notes_when(ns, job_id, settled)
    assert {n["target"]: n["status"] for n in notes} == {"main": "skipped", "ops": "delivered"}
    (got,) = ns.ops.wait_for(1)
    assert json.loads(got.body)["type"] == "io.capplan.job.finished"


def test_alertmanager_lists_the_pushed_alert(notify_stack):
    ns = notify_stack
    require_alertmanager()
    ns.ops.reset()
    job_id = submit(ns, "/api/capacity/analyze", {**BREACHING, "notify": ["main", "ops"]})
    notes = notes_when(ns, job_id, settled)
    assert {n["target"]: n["status"] for n in notes} == {"main": "delivered", "ops": "delivered"}
    (breach,) = json.loads(ns.ops.wait_for(1)[0].body)["data"]["breaches"]
    (alert,) = [a for a in ns.alertmanager.alerts() if a["labels"].get("plan") == job_id]
    assert alert["labels"] == {"alertname": "CapacityBreachPredicted", "plan": job_id, "severity": "critical"}
    assert alert["generatorURL"] == f"{PUBLIC}/api/jobs/{job_id}"
    assert when(alert["endsAt"]) == when(breach["end"] + "Z")
    assert alert["annotations"]["breach_start"] == breach["start"] + "Z"
    assert float(alert["annotations"]["recommended_capacity"]) == breach["recommended_capacity"]
    calm = submit(ns, "/api/capacity/analyze", {**CALM, "notify": ["main"]})
    assert notes_when(ns, calm, settled)[0]["status"] == "skipped"
    assert not [a for a in ns.alertmanager.alerts() if a["labels"].get("plan") == calm]


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_a_batch_notifies_once_with_the_portfolios_breaches(notify_stack):
    ns = notify_stack
    ns.ops.reset()
    targets = ["ops", "main"] if ns.alertmanager else ["ops"]
    plans = [{**BREACHING, "id": "web"}, {**CALM, "id": "db"}, {**BREACHING, "id": "cache", "current_capacity": 600}]
    job_id = submit(ns, "/api/capacity/batch", {"plans": plans, "notify": targets})      # two chunks
    notes = notes_when(ns, job_id, settled)
    assert {n["target"]: (n["status"], n["attempts"]) for n in notes} == {t: ("delivered", 1) for t in targets}
    time.sleep(1.0)                                         # time for a second event, were one sent
    (got,) = ns.ops.wait_for(1)
    event = json.loads(got.body)
    assert (event["type"], event["subject"], event["data"]["breach_count"]) == (
        "io.capplan.capacity.breach_predicted", job_id, 2)
    assert sorted(b["plan"] for b in event["data"]["breaches"]) == ["cache", "web"]
    results = http("GET", f"{ns.url}/api/jobs/{job_id}/results").json()["results"]
    assert {r["id"]: r["breach"] is not None for r in results} == {"web": True, "db": False, "cache": True}
    if ns.alertmanager:
        plans_alerted = {a["labels"]["plan"] for a in ns.alertmanager.alerts()}
        assert {"web", "cache"} <= plans_alerted and "db" not in plans_alerted


def test_a_synchronous_answer_still_notifies_and_keeps_its_job(notify_stack):
    ns = notify_stack
    ns.ops.reset()
    reply = http("POST", ns.url + "/api/capacity/recommendations", {**BREACHING, "notify": ["ops"]})
    assert reply.status == 200                              # answered in the request, no job id shown
    ns.replies.append(reply.body)
    (got,) = ns.ops.wait_for(1)
    event = json.loads(got.body)
    assert event["type"] == "io.capplan.capacity.breach_predicted" and verify(got.headers, got.body, SECRET)
    (note,) = notes_when(ns, event["data"]["job_id"], settled)   # the event's link leads to the job
    assert note["status"] == "delivered"
    ttl = redis.Redis.from_url(ns.stack.redis_url).ttl(f"capplan:job:{event['data']['job_id']}")
    assert ttl > 3600                                        # RESULT_TTL, not the minute of an unseen job


def test_no_secret_or_target_address_in_records_responses_metrics_or_logs(notify_stack):
    ns = notify_stack
    client = redis.Redis.from_url(ns.stack.redis_url)
    stored = b""
    for key in client.scan_iter("capplan:*"):
        kind = client.type(key)
        if kind == b"hash":
            stored += b"".join(k + v for k, v in client.hgetall(key).items())
        elif kind == b"string":
            stored += client.get(key)
        elif kind == b"list":
            stored += b"".join(client.lrange(key, 0, -1))
    assert b"notify:" in stored                              # the scan did read job records
    metrics = http("GET", ns.url + "/metrics").body
    logs = ns.stack.worker_log(0).encode()
    assert b"notification delivered" in logs
    everything = {"stored": stored, "replies": b"".join(ns.replies), "metrics": metrics, "logs": logs}
    for where, text in everything.items():
        for secret in (SECRET, TOKEN, ns.ops.url, ns.flaky.url):
            assert secret.encode() not in text, f"{secret} found in {where}"
