"""Telling configured targets that a job ended: queue one delivery per target, then deliver it. No Celery here.

A webhook gets a CloudEvent: ``io.capplan.capacity.breach_predicted`` when a plan's p90 load reaches its
scaling threshold within the horizon, else ``io.capplan.job.finished``. An Alertmanager gets one
``CapacityBreachPredicted`` alert per breaching plan, and nothing when none breaches. Each attempt's outcome
is recorded on the job (jobs.notifications) and counted for /metrics; neither names a URL or a secret.
"""
from __future__ import annotations

import logging
import uuid
from typing import Callable

from connectors.alertmanager import ALERT_NAME, breach_alert, send_alerts
from connectors.delivery import DeliveryError
from connectors.targets import Connectors
from connectors.webhooks import BREACH_PREDICTED, FINISHED, cloud_event, send_event
from jobs.notifications import NotificationLog, entry
from jobs.store import JobStore, utc_now
from workers.results import plan_breaches

log = logging.getLogger("capplan.worker")
MAX_ATTEMPTS = 6
MAX_LISTED = 1000           # breaches one event or one Alertmanager call carries; data.breach_count has them all
EVENT_NAMESPACE = uuid.UUID("5b0d2a4e-8f0c-4c55-9d57-0b7f4b1c6a10")
PLANNED = {"recommendations": ("recommendations",), "analysis": ("analysis", "recommendations")}


def backoff_s(first_s: float, retries: int) -> float:
    """The wait before retry ``retries + 1``: ``first_s``, doubling each time (the caller adds jitter)."""
    return first_s * 2 ** retries


def announce(store: JobStore, send: Callable[[str, str], None], records: list[dict]) -> None:
    """Queue one delivery per target named by each just-finished job (its record as JobStore.load gives it)."""
    notes = NotificationLog(store)
    for record in records:
        targets = (record.get("request") or {}).get("notify") or []
        if not targets:
            continue
        notes.queued(record["job_id"], targets)
        for target in targets:
            send(record["job_id"], target)


def deliver(store: JobStore, connectors: Connectors, job_id: str, name: str, attempt: int, final: bool,
            metrics=None, public_url: str = "") -> str:
    """Make delivery attempt ``attempt`` of job ``job_id``'s end to target ``name``; its outcome. Links to
    the job start with ``public_url`` (PUBLIC_URL), or are paths without it.

    Raises RetryableDelivery when the attempt may be retried (not ``final``), after recording it.
    """
    record = store.get(job_id)
    if record is None:
        return "gone"                                     # expired or never made: nobody to tell about it
    target = connectors.notify_target(name)
    notes = NotificationLog(store)

    def outcome(status: str, counted: str, event_type: str | None, error: DeliveryError | None = None) -> str:
        notes.record(job_id, entry(name, status, attempt, event_type, error.as_dict() if error else None,
                                   utc_now() if status == "delivered" else None))
        if metrics is not None:
            metrics.count_notification(name, counted)
        log.info("notification %s", counted, extra={"job_id": job_id, "target": name, "attempt": attempt,
                                                    **({"reason": error.as_dict()} if error else {})})
        return counted

    if target is None:                                    # the configuration changed since the request
        return outcome("failed", "failed", None, DeliveryError("unknown_target"))
    request = (store.load([job_id])[0] or {}).get("request") or {}
    breaches = job_breaches(store, record, request)
    if target.kind == "alertmanager":
        if not breaches:
            return outcome("skipped", "skipped", None)
        link = job_link(public_url, job_id) if public_url else None   # Alertmanager takes absolute links only
        alerts = [breach_alert(b["plan"], b, _rfc3339(record["finished_at"]), link) for b in breaches[:MAX_LISTED]]
        event_type, send = ALERT_NAME, lambda: send_alerts(target, alerts)
    else:
        event = job_event(record, breaches, name, public_url)
        event_type, send = event["type"], lambda: send_event(target, event)
    try:
        send()
    except DeliveryError as e:
        if e.retryable and not final:
            outcome("retrying", "retried", event_type, e)
            raise
        return outcome("failed", "failed", event_type, e)
    return outcome("delivered", "delivered", event_type)


def job_breaches(store: JobStore, record: dict, request: dict) -> list[dict]:
    """``{"plan": id, **breach}`` for each plan of a succeeded job whose breach is predicted, earliest first."""
    if record["status"] != "succeeded":
        return []
    if record["kind"] == "batch":
        found = [{"plan": r["id"], **r["breach"]} for page in store.plan_result_pages(record["job_id"])
                 for r in page if r.get("breach")]
    elif record["kind"] in PLANNED and request.get("plan") is not None:
        result = record["result"]
        planned = result
        for key in PLANNED[record["kind"]]:
            planned = planned[key]
        p90 = [point["upper"] for point in result["forecast"]["forecast"]]
        (breach,) = plan_breaches([request], [p90], [planned.get("recommended_capacity")])
        found = [{"plan": record["job_id"], **breach}] if breach else []
    else:
        found = []
    return sorted(found, key=lambda b: (b["start"], str(b["plan"])))


def job_link(public_url: str, job_id: str) -> str:
    """The job's address under PUBLIC_URL, or its path on the API without one."""
    return f"{public_url.rstrip('/')}/api/jobs/{job_id}"


def job_event(record: dict, breaches: list[dict], target: str, public_url: str = "") -> dict:
    """The CloudEvent of a job's end; its id is the same for every attempt to deliver it to ``target``."""
    job_id = record["job_id"]
    base = job_link(public_url, job_id)
    links = {"job": base}
    if record["kind"] == "batch":
        links["results"] = f"{base}/results"
    data = {"job_id": job_id, "kind": record["kind"], "status": record["status"],
            "finished_at": record["finished_at"], "links": links, "breach_count": len(breaches),
            "breaches": breaches[:MAX_LISTED]}
    if record.get("error"):
        data["error"] = {k: record["error"][k] for k in ("code", "message") if k in record["error"]}
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{job_id}/{target}"))
    return cloud_event(event_id, f"/capplan/jobs/{job_id}", BREACH_PREDICTED if breaches else FINISHED, job_id,
                       _rfc3339(record["finished_at"]), data)


def _rfc3339(stamp: str | None) -> str:
    """The job store's ISO time (``+00:00``) as RFC 3339 in UTC, as CloudEvents' ``time`` is written."""
    return (stamp or utc_now()).replace("+00:00", "Z")
