"""Events to a ``[webhooks.NAME]`` target: CloudEvents 1.0 in structured JSON mode, signed with HMAC-SHA256.

The signed string is ``f"{timestamp}.{body}"``: the decimal Unix seconds of ``X-Capplan-Timestamp``, a dot,
then the exact bytes of the body. ``X-Capplan-Signature: sha256=<hex digest>``. Signing the timestamp with
the body lets a receiver refuse a replay: a captured event sent again later carries an old timestamp, and
one given a new timestamp no longer matches its signature.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from connectors.delivery import DeliveryError, post
from connectors.targets import Target, TargetError

CONTENT_TYPE = "application/cloudevents+json"
SIGNATURE_HEADER = "X-Capplan-Signature"
TIMESTAMP_HEADER = "X-Capplan-Timestamp"
FINISHED = "io.capplan.job.finished"
BREACH_PREDICTED = "io.capplan.capacity.breach_predicted"


def cloud_event(event_id: str, source: str, event_type: str, subject: str, time_: str, data: dict) -> dict:
    """A CloudEvents 1.0 event in structured mode (the whole event is the JSON body)."""
    return {"specversion": "1.0", "id": event_id, "source": source, "type": event_type, "subject": subject,
            "time": time_, "datacontenttype": "application/json", "data": data}


def signed_string(timestamp: int, body: bytes) -> bytes:
    return str(int(timestamp)).encode("ascii") + b"." + body


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Capplan-Signature value of ``body`` sent at ``timestamp``."""
    return "sha256=" + hmac.new(secret, signed_string(timestamp, body), hashlib.sha256).hexdigest()


def event_body(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def send_event(target: Target, event: dict, now: float | None = None, session=None) -> int:
    """POST ``event`` to the webhook, signed when it names a secret; the receiver's 2xx status."""
    body = event_body(event)
    timestamp = int(time.time() if now is None else now)
    headers = {"Content-Type": CONTENT_TYPE, TIMESTAMP_HEADER: str(timestamp)}
    try:
        secret = target.secret()
    except TargetError:
        raise DeliveryError("credential_missing") from None
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
    return post(target, body, headers, session=session)
