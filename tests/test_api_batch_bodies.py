"""POST /api/capacity/batch with gzip JSON and CSV bodies (issue 24): limits on what a body becomes, the
same per-plan answers whatever the body's form, and every plan checked as it is parsed."""
from __future__ import annotations

import gzip
import io
import json
import math
import tracemalloc

import pytest

from api.batch_intake import PackedBatch, pack_csv_batch, pack_json_batch
from api.job_requests import batch_entries
from capplan.errors import InvalidRequest
from jobs.compact import unpack
from jobs.store import body_digest

STAMP = "2024-01-15T10:00:00"
PATH = "/api/capacity/batch"
# Good plans and bad ones of every kind batch_entries answers plan by plan.
MIXED = [
    {"id": "web", "current_capacity": 5000, "current_load": 1000},
    {"id": "hist", "current_capacity": 900, "timestamp": STAMP, "history": [600.0, 640.5, 700]},
    {"id": 7, "current_capacity": 800, "history": [{"timestamp": STAMP, "load": 10}]},
    {"id": "neg", "current_capacity": -5, "current_load": 100},
    {"current_capacity": 10},
    "not a plan",
    {"id": True, "current_capacity": 10, "current_load": 1, "extra": 1, "hours_ahead": 1000},
    {"id": "hole", "current_capacity": 10, "timestamp": STAMP, "history": [1, "x", -3]},
    {"id": "stamp", "current_capacity": 10, "current_load": 1, "timestamp": "yesterday"},
]


def _entries(data: bytes, reader=pack_json_batch, size=4, digesting=False) -> tuple[PackedBatch, list[dict]]:
    batch = reader(data, PackedBatch(size, PATH, digesting))
    chunks = [unpack(c) for c in batch.chunks]
    assert [c["offset"] for c in chunks] == list(range(0, batch.total, size))
    return batch, [plan for c in chunks for plan in c["plans"]]


def test_plans_streamed_one_by_one_get_what_batch_entries_gives_them(app):
    body = {"plans": MIXED}
    with app.app_context():
        batch, streamed = _entries(json.dumps(body).encode(), digesting=True)
        assert streamed == batch_entries(json.loads(json.dumps(body)))
    assert batch.total == len(MIXED)
    assert [p["id"] for p in streamed][:4] == ["web", "hist", "7", "neg"]
    assert set(streamed[7]["error"]["fields"]) == {"history[1]", "history[2]"}
    assert batch.digest == body_digest({"path": PATH, "body": body})   # Idempotency-Key: as before


@pytest.mark.parametrize("text, field", [
    ('{"plans": [{"current_capacity": 1, "current_load": NaN}]}', None),          # ijson refuses; json reads
    ('{"plans": [{"current_capacity": 1, "current_load": 1e400}]}', None),
    ('{"plans": [{"current_capacity": 123456789012345678901234567890, "current_load": 1}]}', None),
    ('{"plans": [{"current_capacity": 1, "current_load": 1}], "extra": 1}', "extra"),
    ('{"extra": 1, "plans": [{"current_capacity": 1, "current_load": 1}]}', "extra"),
    ('{"plans": []}', "plans"), ('{"plans": {"a": 1}}', "plans"), ('[1, 2]', "body"), ('{"plans": [', "body"),
    ('{"plans": [{"current_capacity": 1, "current_load": 1}]} trailing', "body"),
])
def test_bodies_ijson_cannot_stream_are_answered_as_before(app, text, field):
    """NaN and numbers past yajl's range fail their plan alone, bad envelopes are one 400, as json.loads had it."""
    with app.app_context():
        try:
            before = batch_entries(json.loads(text))
        except (InvalidRequest, ValueError) as e:
            with pytest.raises(InvalidRequest) as refused:
                _entries(text.encode())
            assert field in refused.value.fields
            if isinstance(e, InvalidRequest):
                assert refused.value.as_dict() == e.as_dict()
            return
        assert field is None
        assert _entries(text.encode())[1] == before
        assert before[0]["error"]["fields"]


def test_more_than_10000_plans_is_one_400(app):
    data = json.dumps({"plans": [{"current_capacity": 1, "current_load": 1}] * 10_001}).encode()
    with app.app_context(), pytest.raises(InvalidRequest) as refused:
        _entries(data)
    assert refused.value.fields == {"plans": "must have at most 10000 items"}


def _csv(plans: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for plan in plans:
        cells = []
        for column in columns:
            value = plan.get("timestamp" if column == "last_timestamp" else column, "")
            cells.append(" ".join(map(str, value)) if isinstance(value, list) else str(value))
        out.write(",".join(cells) + "\n")
    return out.getvalue().encode()


def test_a_csv_row_gets_what_the_same_plan_in_json_gets(app):
    plans = [{"id": "web", "current_capacity": 5000.0, "current_load": 1000.0, "hours_ahead": 24},
             {"id": "db", "current_capacity": 800.0, "timestamp": STAMP, "history": [610.0, 640.0, 700.0]},
             {"id": "neg", "current_capacity": -5.0, "current_load": 100.0}]
    columns = ["id", "current_capacity", "current_load", "hours_ahead", "history", "last_timestamp"]
    with app.app_context():
        _, from_csv = _entries(_csv(plans, columns), pack_csv_batch)
        _, from_json = _entries(json.dumps({"plans": plans}).encode())
    assert from_csv == from_json
    assert from_csv[2]["error"]["fields"] == {"current_capacity": "must be >= 1e-06"}


def test_a_bad_csv_row_fails_alone_naming_its_plan_and_column(app):
    text = ("id,current_capacity,current_load,history,last_timestamp,unit_capacity\n"
            "web,5000,1000,,,\n"
            "api,3000,lots,,,\n"
            "db,800,,610 x 700,2024-01-15T10:00:00,\n"
            "late,800,,610 640,tomorrow,\n"
            "wide,800,1,,,,9\n"
            "\n"
            "units,800,1,,,half\n")
    with app.app_context():
        batch, entries = _entries(text.encode(), pack_csv_batch)
    assert batch.total == 6 and "error" not in entries[0] and entries[0]["request"]["plan"]["current_capacity"] == 5000
    errors = {e["id"]: e["error"]["fields"] for e in entries[1:]}
    assert errors["api"] == {"current_load": "must be a number"}
    assert errors["db"] == {"history[1]": "must be a number"}
    assert set(errors["late"]) == {"last_timestamp"}                  # the column's name, not the API field's
    assert errors["wide"] == {"row": "7 cells, the header has 6 columns"}
    assert set(errors["units"]) == {"unit_capacity"}


def test_a_csv_row_error_names_timestamp_where_the_header_does(app):
    text = "id,current_capacity,history,timestamp\nlate,800,610 640,tomorrow\n"
    with app.app_context():
        _, entries = _entries(text.encode(), pack_csv_batch)
    assert set(entries[0]["error"]["fields"]) == {"timestamp"} and entries[0]["id"] == "late"


@pytest.mark.parametrize("header, column", [
    ("id,current_capacity,curent_load", "curent_load"), ("id,current_load", "current_capacity"),
    ("current_capacity,history,timestamp,last_timestamp", "last_timestamp"),
    ("current_capacity,current_load,current_load", "current_load")])
def test_a_csv_header_with_a_column_the_api_cannot_map_is_one_400(app, header, column):
    with app.app_context(), pytest.raises(InvalidRequest) as refused:
        _entries(f"{header}\n1,2,3,4\n".encode(), pack_csv_batch)
    assert column in refused.value.fields


# --- over HTTP (the app in process) ------------------------------------------------------------------------

def _post(client, data: bytes, content_type="application/json", **headers):
    return client.post(PATH, data=data, headers={"Content-Type": content_type, "Prefer": "respond-async",
                                                 **headers})


def _stored_plans(app, job_id: str) -> list[dict]:
    store = app.extensions["capplan"].store
    chunks = int(store.redis.hget(store.key(job_id), "total") or 0)
    return [p for i in range(math.ceil(chunks / 250)) for p in store.load_chunk(job_id, i)["plans"]]


def test_gzip_json_and_csv_bodies_store_the_plans_plain_json_does(app, client):
    plans = [{"id": f"p{i}", "current_capacity": 900.0 + i, "timestamp": STAMP,
              "history": [round(500 + (h * 7 + i) % 300 * 1.37, 2) for h in range(672)]} for i in range(400)]
    plain = json.dumps({"plans": plans}).encode()
    assert len(plain) > app.config["MAX_CONTENT_LENGTH"]                # the 2 MB limit is not the batch's
    replies = [_post(client, plain), _post(client, gzip.compress(plain), **{"Content-Encoding": "gzip"}),
               _post(client, gzip.compress(_csv(plans, ["id", "current_capacity", "history", "last_timestamp"])),
                     "text/csv", **{"Content-Encoding": "gzip"})]
    assert [r.status_code for r in replies] == [202] * 3, [r.get_json() for r in replies]
    assert [r.get_json()["plans"] for r in replies] == [400] * 3 and replies[0].get_json()["chunks"] == 2
    stored = [_stored_plans(app, r.get_json()["job_id"]) for r in replies]
    assert stored[0] == stored[1] == stored[2] and len(stored[0]) == 400


def test_other_endpoints_keep_the_2_mb_limit(client):
    big = json.dumps({"current_load": 1, "padding": "x" * (3 << 20)}).encode()
    assert client.post("/api/forecast", data=big, content_type="application/json").status_code == 413


def _client_with(redis_server, **settings):
    from api import create_app

    return create_app({"REDIS_URL": redis_server.url, "ENV": "test", "LOG_LEVEL": "WARNING", "AUTH": "open",
                       **settings}).test_client()


def test_a_batch_over_max_batch_bytes_is_413_raw_or_once_inflated(redis_server):
    client = _client_with(redis_server, MAX_BATCH_BYTES=100_000)
    plans = json.dumps({"plans": [{"current_capacity": 1, "current_load": 1}] * 5000}).encode()
    assert len(plans) > 100_000 and len(gzip.compress(plans)) < 100_000
    for reply in (_post(client, plans), _post(client, gzip.compress(plans), **{"Content-Encoding": "gzip"})):
        assert reply.status_code == 413 and reply.get_json()["error"]["code"] == "request_entity_too_large"


def test_a_zip_bomb_is_413_after_inflating_at_most_the_limit(redis_server):
    limit = 4 << 20
    client = _client_with(redis_server, MAX_BATCH_BYTES=limit)
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as f:
        zeros = bytes(1 << 20)
        for _ in range(1024):                                         # 1 GB of zeros, ~1 MB compressed
            f.write(zeros)
    data = bomb.getvalue()
    assert len(data) < 2 << 20
    tracemalloc.start()
    try:
        reply = _post(client, data, **{"Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.status_code == 413
    assert peak < len(data) + 4 * limit, peak                          # not the 1 GB it would inflate to


@pytest.mark.parametrize("data, why", [(b"\x1f\x8bnot gzip at all", "not valid gzip"),
                                       (gzip.compress(b'{"plans": [{"current_capacity": 1}]}')[:-12], "ends before"),
                                       (b'{"plans": []}', "not valid gzip")])
def test_bad_gzip_is_400_naming_the_body(client, data, why):
    reply = _post(client, data, **{"Content-Encoding": "gzip"})
    assert reply.status_code == 400
    assert why in reply.get_json()["error"]["fields"]["body"]


@pytest.mark.parametrize("headers, names", [
    ({"Content-Type": "text/plain"}, "Content-Type"), ({"Content-Type": "application/xml"}, "Content-Type"),
    ({"Content-Type": "application/json", "Content-Encoding": "br"}, "Content-Encoding")])
def test_an_unknown_type_or_coding_is_415_listing_what_the_batch_takes(client, headers, names):
    reply = client.post(PATH, data=b"{}", headers=headers)
    assert reply.status_code == 415
    error = reply.get_json()["error"]
    assert names in error["fields"]
    assert "application/json or text/csv" in error["message"] and "gzip" in error["message"]


def test_gzip_elsewhere_is_415(client):
    reply = client.post("/api/forecast", data=gzip.compress(b'{"current_load": 1}'),
                        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert reply.status_code == 415 and "Content-Encoding" in reply.get_json()["error"]["fields"]


def test_the_same_plans_gzipped_replay_the_same_idempotency_key(client):
    plans = {"plans": [{"id": "web", "current_capacity": 5000, "current_load": 1000}]}
    key = {"Idempotency-Key": "bodies-1"}
    first = _post(client, json.dumps(plans).encode(), **key)
    again = _post(client, gzip.compress(json.dumps(plans, indent=2).encode()), **key, **{"Content-Encoding": "gzip"})
    assert first.status_code == 202 and again.get_json()["job_id"] == first.get_json()["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = _post(client, json.dumps({"plans": plans["plans"] * 2}).encode(), **key)
    assert other.status_code == 409
