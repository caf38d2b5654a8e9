"""Batches of real histories on the live stack (issue 24): gzip JSON and CSV bodies give the results plain
JSON gives, a CSV row fails alone, and bodies past MAX_BATCH_BYTES are refused before they are read whole."""
from __future__ import annotations

import gzip
import io
import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.live_stack import http
from tests.test_service_integration import get, wait_job

pytestmark = pytest.mark.integration
STAMP = "2024-01-15T10:00:00"
PATH = "/api/capacity/batch"


def _plans() -> list[dict]:
    return [{"id": f"svc-{i}", "current_capacity": 1500.0 + 100 * i, "hours_ahead": 48, "timestamp": STAMP,
             "history": [round(800 + 300 * ((h + 3 * i) % 24 >= 9) + (h * 37 + i) % 50, 1) for h in range(336)]}
            for i in range(6)]


def _as_csv(plans: list[dict]) -> bytes:
    rows = ["id,current_capacity,hours_ahead,history,last_timestamp"]
    rows += [f"{p['id']},{p['current_capacity']},{p['hours_ahead']},{' '.join(map(str, p['history']))},"
             f"{p['timestamp']}" for p in plans]
    return ("\n".join(rows) + "\n").encode()


def _submit(stack, data: bytes, content_type: str, encoding: str | None = None) -> list[dict]:
    headers = {"Content-Type": content_type, **({"Content-Encoding": encoding} if encoding else {})}
    reply = http("POST", stack.base_url + PATH, data, headers=headers)
    assert reply.status == 202, reply.body[:500]
    job_id = reply.json()["job_id"]
    assert wait_job(stack, job_id)["status"] == "succeeded"
    return get(stack, f"/api/jobs/{job_id}/results?limit=1000").json()["results"]


def test_the_same_plans_as_json_gzip_json_and_csv_get_the_same_results(live_stack):
    plans = _plans()
    plain = json.dumps({"plans": plans}).encode()
    as_json = _submit(live_stack, plain, "application/json")
    as_gzip = _submit(live_stack, gzip.compress(plain), "application/json", "gzip")
    as_csv = _submit(live_stack, gzip.compress(_as_csv(plans)), "text/csv", "gzip")
    assert all(r["success"] for r in as_json) and len(as_json) == 6
    assert as_json == as_gzip == as_csv
    assert as_csv[0]["history_source"] == "provided" and as_csv[0]["id"] == "svc-0"


def test_a_bad_csv_row_fails_alone_naming_its_plan_and_column(live_stack):
    text = _as_csv(_plans()[:2]).decode() + "broken,900,48,610 x 700,2024-01-15T10:00:00\n"
    results = _submit(live_stack, text.encode(), "text/csv")
    assert [r["success"] for r in results] == [True, True, False]
    assert results[2]["id"] == "broken" and results[2]["error"]["fields"] == {"history[1]": "must be a number"}


def _raw_request(stack, head: bytes, body: bytes = b"") -> bytes:
    """A request written to the API's socket as it is; the status line and headers of the answer."""
    url = urlsplit(stack.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    return answer


def test_a_content_length_over_the_limit_is_413_before_the_body_is_sent(live_stack):
    head = (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 << 30}\r\n\r\n").encode()
    answer = _raw_request(live_stack, head)                # 10 GB announced, not a byte of it sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_zip_bomb_is_413(live_stack):
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as f:
        f.write(b'{"plans": [' + b" " * (80 << 20))        # 80 MB of JSON-ish text, under 100 kB gzipped
    reply = http("POST", live_stack.base_url + PATH, bomb.getvalue(),
                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert len(bomb.getvalue()) < 200_000
    assert reply.status == 413 and reply.json()["error"]["code"] == "request_entity_too_large"


def test_bad_gzip_is_400_and_an_unknown_type_415(live_stack):
    bad = http("POST", live_stack.base_url + PATH, b"plain text", headers={"Content-Encoding": "gzip"})
    assert bad.status == 400 and "gzip" in bad.json()["error"]["fields"]["body"]
    xml = http("POST", live_stack.base_url + PATH, b"<plans/>", headers={"Content-Type": "application/xml"})
    assert xml.status == 415 and "text/csv" in xml.json()["error"]["message"]


def _chunked(stack, pieces, content_type="application/json", encoding=None) -> bytes:
    """A chunked upload (no Content-Length) written to the socket; the answer's status line and headers."""
    head = (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
            + (f"Content-Encoding: {encoding}\r\n" if encoding else "") + "Connection: close\r\n\r\n").encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    return _raw_request(stack, head, body)


def test_a_chunked_batch_is_read_and_one_past_the_limit_is_413(live_stack):
    data = gzip.compress(json.dumps({"plans": _plans()}).encode())
    accepted = _chunked(live_stack, [data[i:i + 1000] for i in range(0, len(data), 1000)], encoding="gzip")
    assert accepted.startswith(b"HTTP/1.1 202"), accepted[:300]
    spaces = b" " * (1 << 20)
    refused = _chunked(live_stack, [b'{"plans": ['] + [spaces] * 64)      # 11 bytes past the 64 MiB limit
    assert refused.startswith(b"HTTP/1.1 413"), refused[:300]
