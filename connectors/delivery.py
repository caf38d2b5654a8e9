"""One POST to a configured target, and what went wrong as facts ({code, status}) that name no URL or secret.

Redirects are not followed: capplan calls only the addresses its operator configured.
"""
from __future__ import annotations

import requests

from connectors.targets import Target, TargetError


class DeliveryError(Exception):
    """A delivery that did not succeed; ``code`` and ``status`` say why without the target's URL or secret."""

    retryable = False

    def __init__(self, code: str, status: int | None = None):
        super().__init__(code if status is None else f"{code} {status}")
        self.code = code
        self.status = status

    def as_dict(self) -> dict:
        return {"code": self.code, **({"status": self.status} if self.status is not None else {})}


class RetryableDelivery(DeliveryError):
    """The target was unreachable, too slow, or answered 5xx: the same event may succeed later."""

    retryable = True


def post(target: Target, body: bytes, headers: dict[str, str], path: str = "",
         session: requests.Session | None = None) -> int:
    """POST ``body`` to ``target.url + path`` with its configured headers and credential; a 2xx's status."""
    try:
        sent = {**target.request_headers(), **headers}
    except TargetError:
        raise DeliveryError("credential_missing") from None
    try:
        reply = (session or requests).post(target.url + path, data=body, headers=sent,
                                           timeout=target.timeout_s, allow_redirects=False)
    except requests.Timeout:
        raise RetryableDelivery("timed_out") from None
    except requests.ConnectionError:
        raise RetryableDelivery("connection_failed") from None
    except requests.RequestException:
        raise DeliveryError("request_failed") from None
    reply.close()
    if reply.status_code >= 500:
        raise RetryableDelivery("http_error", reply.status_code)
    if not 200 <= reply.status_code < 300:
        raise DeliveryError("http_error", reply.status_code)     # a 4xx or a redirect: the same event fails again
    return reply.status_code

