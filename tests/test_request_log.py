"""The access log: polls and static files at DEBUG, requests someone made at INFO, each with its request id."""
from __future__ import annotations

import logging

import pytest
from flask import Flask

from api.dashboard import bp as dashboard_bp
from api.request_log import init_request_log


@pytest.fixture
def client():
    """A bare app with the request log and one route of each kind and the console (no Redis: the log needs none)."""
    app = Flask(__name__, static_folder=None)
    init_request_log(app)
    app.add_url_rule("/api/health", "health", lambda: {"status": "healthy"})
    app.add_url_rule("/metrics", "metrics", lambda: "")
    app.add_url_rule("/api/forecast", "forecast", lambda: {"success": True}, methods=["POST"])
    app.register_blueprint(dashboard_bp)
    return app.test_client()


def _access_records(caplog):
    return [r for r in caplog.records if r.name == "capplan.access"]


@pytest.mark.parametrize("path", ["/api/health", "/metrics", "/dashboard/static/css/dashboard.css"])
def test_polls_and_static_files_log_at_debug(client, caplog, path):
    caplog.set_level(logging.DEBUG, logger="capplan.access")
    assert client.get(path).status_code == 200
    [record] = _access_records(caplog)
    assert record.levelno == logging.DEBUG and record.getMessage() == f"GET {path} 200"


def test_a_health_poll_is_silent_at_info(client, caplog):
    caplog.set_level(logging.INFO, logger="capplan.access")
    client.get("/api/health")
    assert _access_records(caplog) == []


def test_other_requests_log_at_info_with_status_and_time(client, caplog):
    caplog.set_level(logging.INFO, logger="capplan.access")
    response = client.post("/api/forecast", json={}, headers={"X-Request-ID": "abc-1"})
    [record] = _access_records(caplog)
    assert record.levelno == logging.INFO and record.getMessage() == "POST /api/forecast 200"
    assert record.status == 200 and record.ms >= 0 and response.headers["X-Request-ID"] == "abc-1"
