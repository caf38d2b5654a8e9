"""Alerts to an ``[alertmanager.NAME]`` target: one ``CapacityBreachPredicted`` per breaching plan, in one
POST to Alertmanager's ``/api/v2/alerts``."""
from __future__ import annotations

import json

from connectors.delivery import post
from connectors.targets import Target

ALERT_NAME = "CapacityBreachPredicted"
ALERTS_PATH = "/api/v2/alerts"


def _rfc3339(hour: str) -> str:
    """planning's naive-UTC hour (2024-01-15T10:00:00) as Alertmanager's RFC 3339 time."""
    return hour + "Z"


def breach_alert(plan_id: str, breach: dict, starts_at: str, job_url: str | None = None) -> dict:
    """The alert of one plan's breach (planning.breach.predicted_breach); it fires from ``starts_at``, the
    prediction, and resolves by itself at the breach's end. ``job_url``, an absolute link to the job, becomes
    its ``generatorURL`` (Alertmanager's "Source" link)."""
    peak = breach["peak"]
    recommended = breach.get("recommended_capacity")
    summary = (f"Plan {plan_id}: p90 load reaches {breach['scaling_threshold']:.0%} of capacity "
               f"{breach['current_capacity']:g} from {breach['start']} UTC, peaking at {peak['p90_load']:g} "
               f"({peak['p90_utilization']:.0%}) at {peak['timestamp']} UTC")
    if recommended is not None:
        summary += f"; recommended capacity {recommended:g}"
    alert = {"labels": {"alertname": ALERT_NAME, "plan": plan_id, "severity": breach["severity"]},
             "annotations": {"summary": summary, "breach_start": _rfc3339(breach["start"]),
                             "breach_end": _rfc3339(breach["end"]), "peak": _rfc3339(peak["timestamp"]),
                             "peak_p90_load": f"{peak['p90_load']:g}",
                             "recommended_capacity": "" if recommended is None else f"{recommended:g}"},
             "startsAt": starts_at, "endsAt": _rfc3339(breach["end"])}
    if job_url:
        alert["generatorURL"] = job_url
    return alert


def send_alerts(target: Target, alerts: list[dict], session=None) -> int:
    """POST ``alerts`` to Alertmanager; its 2xx status."""
    body = json.dumps(alerts, separators=(",", ":")).encode("utf-8")
    return post(target, body, {"Content-Type": "application/json"}, ALERTS_PATH, session=session)
