"""Limits answered in JSON (issue 23): a chunked body over MAX_CONTENT_LENGTH is 413, a URL over
MAX_URL_BYTES is 414 (also under gunicorn, whose own HTML 414 starts further out), every 404 and 405 is
JSON with its Allow header."""
from __future__ import annotations

import io

import pytest

from api.request_limits import MAX_URL_BYTES
from api.security_headers import SECURITY_HEADERS


def _error(reply) -> dict:
    body = reply.get_json()
    assert body["success"] is False and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def _post_chunked(client, data: bytes, **headers):
    """POST ``data`` as a server hands over a chunked body: no Content-Length, the stream ends by itself."""
    from flask.testing import EnvironBuilder
    from werkzeug.wrappers import Request

    builder = EnvironBuilder(client.application, "/api/forecast", method="POST", input_stream=io.BytesIO(data),
                             content_type="application/json", headers={"Transfer-Encoding": "chunked", **headers})
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    return client.open(Request(environ))


@pytest.fixture
def small_limit_client(redis_server):
    from api import create_app

    return create_app({"REDIS_URL": redis_server.url, "MAX_CONTENT_LENGTH": 1000, "LOG_LEVEL": "WARNING",
                       "SYNC_WAIT_S": 0.2}).test_client()


def test_a_chunked_body_over_the_limit_is_json_413(small_limit_client):
    raw = b'{"hours_ahead": 24, "history": [' + b"1.5, " * 1000 + b"1]}"
    reply = _post_chunked(small_limit_client, raw)
    assert reply.status_code == 413, reply.get_json()
    assert _error(reply)["code"] == "request_entity_too_large"


def test_a_chunked_body_under_the_limit_arrives_whole(small_limit_client):
    raw = b'{"hours_ahead": 24, "current_load": 1000, "timestamp": "2024-01-15T10:00:00"}'
    assert _post_chunked(small_limit_client, raw, Prefer="respond-async").status_code == 202
    exactly = raw[:-1] + b" " * (1000 - len(raw)) + b"}"
    assert len(exactly) == 1000
    assert _post_chunked(small_limit_client, exactly, Prefer="respond-async").status_code == 202


def test_a_url_over_the_limit_is_json_414_and_one_at_the_limit_is_routed(client):
    long_path = "/api/jobs/" + "a" * MAX_URL_BYTES
    reply = client.get(long_path)
    assert reply.status_code == 414 and _error(reply)["code"] == "request_uri_too_large"
    assert str(MAX_URL_BYTES) in _error(reply)["message"]
    at_limit = "/api/jobs/x?pad=" + "a" * (MAX_URL_BYTES - len("/api/jobs/x?pad="))
    assert client.get(at_limit).status_code == 404
    assert client.get(at_limit + "a").status_code == 414


def test_gunicorn_lets_long_urls_through_to_the_json_414():
    from capplan import gunicorn_conf

    # method, two spaces and " HTTP/1.1" besides the URL; gunicorn caps the line at 8190 bytes
    assert MAX_URL_BYTES + len("OPTIONS  HTTP/1.1") < gunicorn_conf.limit_request_line <= 8190


def test_not_found_and_wrong_methods_under_api_are_json(client):
    assert _error(client.get("/api/nothing/at/all"))["code"] == "not_found"
    for method in ("PUT", "PATCH", "FOO"):
        reply = client.open("/api/health", method=method)
        assert reply.status_code == 405 and _error(reply)["code"] == "method_not_allowed"
        assert "GET" in reply.headers["Allow"]
    reply = client.get("/api/forecast")
    assert reply.status_code == 405 and reply.headers["Allow"].split(", ").count("POST") == 1


@pytest.fixture(scope="module")
def gunicorn_url(redis_server):
    """The API under gunicorn with the shipped settings file, as `make run`, the Procfile and Docker run it."""
    import os
    import subprocess
    import sys
    import time

    from tests.live_stack import http
    from tests.redis_server import free_port

    port = free_port()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "REDIS_URL": redis_server.url, "MAX_CONTENT_LENGTH": "1000", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": root, "HOST": "127.0.0.1", "PORT": str(port), "GUNICORN_THREADS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app"],
                            env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                http("GET", f"{url}/metrics", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _raw(url: str, method: str, path: str, body=None, headers=None):
    import http.client
    import json
    from urllib.parse import urlparse

    conn = http.client.HTTPConnection(urlparse(url).hostname, urlparse(url).port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {}, encode_chunked=body is not None and
                 not isinstance(body, bytes))
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, dict(reply.getheaders()), json.loads(data) if data.startswith(b"{") else data


@pytest.mark.integration
def test_under_gunicorn_chunked_413_long_url_414_and_headers_are_json(gunicorn_url):
    chunks = iter([b'{"hours_ahead": 24, "history": ['] + [b"1.5, " * 100] * 20 + [b"1]}"])
    status, headers, body = _raw(gunicorn_url, "POST", "/api/forecast", chunks,
                                 {"Content-Type": "application/json"})
    assert status == 413 and body["error"]["code"] == "request_entity_too_large", body
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = _raw(gunicorn_url, "GET", "/api/jobs/" + "a" * 6000)
    assert status == 414 and body["error"]["code"] == "request_uri_too_large", body
    assert headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    status, _, body = _raw(gunicorn_url, "POST", "/api/forecast", b'{"current_load": 5}',
                           {"Content-Type": "text/plain"})
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
