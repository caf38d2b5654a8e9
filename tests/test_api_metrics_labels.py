"""/metrics labels stay few (issue 23): made-up HTTP methods are one `other` label, not a series each."""
from __future__ import annotations

import re

from api.metrics import KNOWN_METHODS, method_label


def test_known_methods_keep_their_name_and_the_rest_are_other():
    assert {method_label(m) for m in KNOWN_METHODS} == KNOWN_METHODS
    assert {method_label(m) for m in ("FOO", "get", "PROPFIND", "X" * 100)} == {"other"}


def test_made_up_methods_add_one_series(client):
    for i in range(30):
        client.open("/api/health", method=f"MADEUP{i}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "MADEUP" not in text
    assert re.search(r'capplan_http_request_duration_seconds_count\{endpoint="unmatched",method="other",'
                     r'status="405"\} 30\.0', text), text
