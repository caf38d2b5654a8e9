"""Bodies must be declared JSON (issue 23): anything else is 415, so no page can post to the API cross-site
without a CORS preflight (which the API never grants)."""
from __future__ import annotations

import json

import pytest

from api.content_types import BODY_METHODS

FORECAST = {"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}
PLAN = {"current_capacity": 5000, "current_load": 1000}
BODY_ENDPOINTS = [("/api/forecast", FORECAST), ("/api/capacity/recommendations", PLAN),
                  ("/api/capacity/analyze", PLAN), ("/api/capacity/batch", {"plans": [PLAN]})]
NOT_JSON = [("text/plain", b'{"hours_ahead": 24, "current_load": 1000}'),
            ("application/x-www-form-urlencoded", b"hours_ahead=24&current_load=1000"),
            ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'),
            (None, b'{"hours_ahead": 24, "current_load": 1000}')]


def _error(reply) -> dict:
    body = reply.get_json()
    assert body["success"] is False and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


@pytest.mark.parametrize("path", [p for p, _ in BODY_ENDPOINTS])
@pytest.mark.parametrize("content_type, raw", NOT_JSON, ids=["text", "form", "multipart", "none"])
def test_a_body_that_is_not_declared_json_is_415(client, path, content_type, raw):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = client.post(path, data=raw, headers=headers)
    assert reply.status_code == 415
    error = _error(reply)
    assert error["code"] == "unsupported_media_type" and "Content-Type" in error["fields"]
    assert "application/json" in error["message"]


@pytest.mark.parametrize("path, body", BODY_ENDPOINTS)
def test_json_with_a_charset_is_accepted(client, path, body):
    reply = client.post(path, data=json.dumps(body), headers={"Content-Type": "application/json; charset=utf-8",
                                                              "Prefer": "respond-async"})
    assert reply.status_code == 202, reply.get_json()


def test_a_wrong_route_or_method_says_so_before_the_content_type(client):
    assert client.post("/api/nothing", data=b"x", content_type="text/plain").status_code == 404
    assert client.post("/api/health", data=b"x", content_type="text/plain").status_code == 405
    assert BODY_METHODS >= {"POST", "PUT", "PATCH"}
