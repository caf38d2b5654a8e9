"""Limits the API answers in JSON: a URL over MAX_URL_BYTES is 414, a chunked body over the limit 413.

gunicorn reads the request line first and answers a line over its `limit_request_line` (8190 bytes,
capplan/gunicorn_conf.py) with an HTML 414 of its own; URLs up to that length reach this check, which
keeps the limit well below it.

A body with a Content-Length over MAX_CONTENT_LENGTH is refused by Werkzeug (`get_input_stream`). A
chunked body has no length: Werkzeug wraps it in a LimitedStream that stops reading at the limit without
an error (`LimitedStream.readall`), and only raises RequestEntityTooLarge on a read after that, which the
views never make; the body would reach them cut short. So it is read here, and one more byte decides.

An endpoint in BODY_LIMITS has its own limit, a setting's value, in place of MAX_CONTENT_LENGTH, and reads
its body itself in bounded pieces (api.batch_body), chunked or not.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from capplan.errors import ServiceError

MAX_URL_BYTES = 4096   # the longest real URL (a batch's results page) is under 200 bytes
# endpoint -> the setting that bounds its body
BODY_LIMITS = {"forecasts.batch": "MAX_BATCH_BYTES"}


class UrlTooLong(ServiceError):
    status = 414
    code = "request_uri_too_large"


def url_bytes(environ: dict) -> int:
    """The length of the request target as sent (gunicorn's RAW_URI), or as rebuilt from path and query."""
    raw = environ.get("RAW_URI") or ""
    query = environ.get("QUERY_STRING") or ""
    rebuilt = len((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1", "replace"))
    return max(len(raw), rebuilt + (len(query) + 1 if query else 0))


def refuse_long_url() -> None:
    if url_bytes(request.environ) > MAX_URL_BYTES:
        raise UrlTooLong(f"the URL is longer than {MAX_URL_BYTES} bytes", {"url": f"at most {MAX_URL_BYTES} bytes"})


def apply_body_limit() -> None:
    """The endpoint's own body limit, when it has one (Flask reads ``request.max_content_length`` per request)."""
    setting = BODY_LIMITS.get(request.endpoint or "")
    if setting is not None:
        request.max_content_length = getattr(current_app.config["CAPPLAN"], setting)


def refuse_chunked_body_over_limit() -> None:
    limit = request.max_content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.endpoint in BODY_LIMITS:
        return                            # it reads its body in pieces, and counts them
    if limit is None or request.content_length is not None or not chunked:
        return
    body = request.get_data(cache=True)   # stops at the limit; the views read this cached copy
    if len(body) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def init_request_limits(app: Flask) -> None:
    app.before_request(refuse_long_url)
    app.before_request(apply_body_limit)
    app.before_request(refuse_chunked_body_over_limit)
