"""Every response carries nosniff, DENY, no-referrer and a strict Content-Security-Policy (issue 23); the
console has nothing inline that the policy would block (the browser tests run it under the policy)."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest

from api.security_headers import SECURITY_HEADERS


@pytest.mark.parametrize("path", ["/", "/api/health", "/api/nothing", "/api/openapi.json", "/api/docs", "/metrics",
                                  "/dashboard/static/js/app.js"])
def test_every_response_carries_the_security_headers(client, path):
    reply = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, (path, name)


def test_errors_carry_the_security_headers_too(client):
    for reply in (client.post("/api/forecast", json={"hours_ahead": 0}),
                  client.post("/api/forecast", data=b"x", content_type="text/plain"),
                  client.open("/api/health", method="FOO")):
        assert reply.headers["X-Content-Type-Options"] == "nosniff" and reply.headers["X-Frame-Options"] == "DENY"


def test_the_policy_is_strict():
    policy = dict(part.split(" ", 1) for part in SECURITY_HEADERS["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert "http" not in SECURITY_HEADERS["Content-Security-Policy"]   # nothing from another origin


def test_the_docs_page_style_is_the_one_the_policy_allows(client):
    page = client.get("/api/docs").get_data(as_text=True)
    for style in re.findall(r"<style>(.*?)</style>", page, re.S):
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
        assert digest in SECURITY_HEADERS["Content-Security-Policy"], (
            f"/api/docs changed its <style>: set DOCS_STYLE_HASH in api/security_headers.py to {digest}")
    assert "<script" not in page


def test_the_console_page_has_no_inline_script_style_or_handler(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline <script>"
    assert "<style" not in page and not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), "a file from another origin"
