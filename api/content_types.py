"""Request bodies must say what they are: a type or a content coding the endpoint does not read is 415.

A browser sends `text/plain`, form-encoded and multipart bodies cross-site without a CORS preflight; a
body that has to be `application/json` (or `text/csv`, or sent with a Content-Encoding) needs one, and the
API answers no preflight, so another site's page cannot submit jobs through a visitor's browser.
"""
from __future__ import annotations

from flask import Flask, request

from capplan.errors import ServiceError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The media types each endpoint reads; an endpoint not named here reads JSON only.
ACCEPTED_TYPES: dict[str, frozenset[str]] = {"forecasts.batch": frozenset({"application/json", "text/csv"})}
JSON_ONLY = frozenset({"application/json"})
# The content codings each endpoint undoes (api.batch_body); elsewhere a body is sent as it is.
ACCEPTED_ENCODINGS: dict[str, tuple[str, ...]] = {"forecasts.batch": ("identity", "gzip")}
IDENTITY_ONLY = ("identity",)


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


def accepted_types(endpoint: str | None) -> frozenset[str]:
    return ACCEPTED_TYPES.get(endpoint or "", JSON_ONLY)


def accepted_encodings(endpoint: str | None) -> tuple[str, ...]:
    return ACCEPTED_ENCODINGS.get(endpoint or "", IDENTITY_ONLY)


def require_declared_body_type() -> None:
    """415 for a body-carrying request whose Content-Type or Content-Encoding the endpoint does not read."""
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return   # no such route or method: the 404/405 says more than a 415 would
    allowed = accepted_types(request.endpoint)
    encodings = accepted_encodings(request.endpoint)
    takes = " or ".join(sorted(allowed)) + (f", optionally with Content-Encoding: {' or '.join(encodings[1:])}"
                                            if len(encodings) > 1 else "")
    if request.mimetype not in allowed:
        given = request.mimetype or "none"
        raise UnsupportedMediaType(f"the request body must be sent as {takes} (Content-Type was {given})",
                                   {"Content-Type": f"must be {' or '.join(sorted(allowed))}"})
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower() or "identity"
    if encoding not in encodings:
        raise UnsupportedMediaType(f"the request body must be sent as {takes} (Content-Encoding was {encoding})",
                                   {"Content-Encoding": f"must be {' or '.join(encodings)}, or left out"})


def init_content_types(app: Flask) -> None:
    app.before_request(require_declared_body_type)
