"""The dashboard's page and files, without a browser: served at `/`, complete, and offline (no CDN)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from api.dashboard import bp

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"
OWN_FILES = [p for p in STATIC.rglob("*") if p.suffix in {".js", ".css"} and "vendor" not in p.parts]


@pytest.fixture
def page_client():
    """Only the dashboard blueprint: the page must not need the API to be served."""
    app = Flask(__name__, static_folder=None)
    app.register_blueprint(bp)
    return app.test_client()


def test_index_is_served_with_every_control_labelled(page_client):
    response = page_client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert {"hours_ahead", "current_capacity", "current_load", "scaling_threshold", "history",
            "history-file", "batch-file"} <= set(ids)
    for control_id in ids:
        assert f'for="{control_id}"' in html, f"#{control_id} has no <label for>"
    for name in ("hours_ahead", "current_capacity", "current_load", "scaling_threshold", "history",
                 "unit_capacity", "unit_cost_per_hour", "lead_time_hours", "min_hold_hours"):
        assert f'id="{name}-error"' in html, f"no place for the API's error on {name}"


def test_every_file_the_page_loads_is_served(page_client):
    html = page_client.get("/").get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="(/dashboard/static/[^"]+)"', html)
    assert any(r.endswith("chart.umd.js") for r in refs) and any(r.endswith("app.js") for r in refs)
    imports = set()
    for path in STATIC.joinpath("js").glob("*.js"):
        imports |= {f"/dashboard/static/js/{m}" for m in re.findall(r'from "\./([\w.]+)"', path.read_text())}
    for ref in set(refs) | imports:
        response = page_client.get(ref)
        assert response.status_code == 200, ref
        response.close()


def test_nothing_is_fetched_from_outside_the_service(page_client):
    html = page_client.get("/").get_data(as_text=True)
    texts = [html] + [p.read_text() for p in OWN_FILES]
    for text in texts:
        assert not re.search(r'(src|href)="(https?:)?//', text)
        assert not re.search(r"""(fetch|import)\(\s*["'`]https?://""", text)


def test_chartjs_is_vendored_with_its_licence():
    vendor = STATIC / "vendor" / "chartjs"
    head = (vendor / "chart.umd.js").read_text()[:200]
    assert "Chart.js v4" in head and "MIT" in head
    assert "MIT License" in (vendor / "LICENSE.md").read_text()


def test_the_api_app_serves_the_dashboard(app):
    response = app.test_client().get("/")
    assert response.status_code == 200 and b"capplan" in response.data
