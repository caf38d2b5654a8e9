"""Request bodies must say they are JSON: anything else is 415 before a view reads it.

A browser sends `text/plain`, form-encoded and multipart bodies cross-site without a CORS preflight; a
body that has to be `application/json` needs one, and the API answers no preflight, so another site's
page cannot submit jobs through a visitor's browser.
"""
from __future__ import annotations

from flask import Flask, request

from capplan.errors import ServiceError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The media types each endpoint reads; an endpoint not named here reads JSON only.
ACCEPTED_TYPES: dict[str, frozenset[str]] = {}
JSON_ONLY = frozenset({"application/json"})


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


def accepted_types(endpoint: str | None) -> frozenset[str]:
    return ACCEPTED_TYPES.get(endpoint or "", JSON_ONLY)


def require_declared_body_type() -> None:
    """415 for a body-carrying request whose Content-Type the endpoint does not read."""
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return   # no such route or method: the 404/405 says more than a 415 would
    allowed = accepted_types(request.endpoint)
    if request.mimetype in allowed:
        return
    names = " or ".join(sorted(allowed))
    given = request.mimetype or "none"
    raise UnsupportedMediaType(f"the request body must be sent as {names} (Content-Type was {given})",
                               {"Content-Type": f"must be {names}"})


def init_content_types(app: Flask) -> None:
    app.before_request(require_declared_body_type)
