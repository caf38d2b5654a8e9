"""Headers on every response that keep browsers from sniffing, framing or leaking it, and a strict CSP.

The console loads only its own files (Chart.js is vendored) and has no inline script or style, so the
policy allows `'self'` and nothing else, with two narrow exceptions:
- `img-src data:`: the console's `<link rel="icon" href="data:,">`, an empty icon that saves a request;
- one hash in `style-src`: the `<style>` block of the `/api/docs` page (tests/test_api_hygiene.py
  checks that the hash matches the page, and prints the new one when the page changes).
"""
from __future__ import annotations

from flask import Flask

DOCS_STYLE_HASH = "'sha256-s7WtjFo1GzUDAlsfZsI0gRI1LaAqDo8o/VI36jX41ms='"
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    f"style-src 'self' {DOCS_STYLE_HASH}",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
