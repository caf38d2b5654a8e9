"""A batch's CSV download streams a page of results at a time, and holds what the paged JSON holds."""
from __future__ import annotations

import csv
import io

from api.batch_csv import CSV_COLUMNS, csv_row
from tests.test_jobs_memory import run_batch

DANGEROUS = "=HYPERLINK(\"http://evil.example/\",\"x\")"


def test_csv_download_is_streamed_page_by_page_and_equals_the_paged_json(app, client, monkeypatch):
    from api import job_views

    store = app.extensions["capplan"].store
    job_id = run_batch(store, 7, chunk_size=3)
    store.redis.hset(store.key(job_id, ":results"), "3", _with_id(store, job_id, 3, DANGEROUS))
    reads = []
    pages = store.plan_result_pages
    monkeypatch.setattr(job_views, "CSV_PAGE", 2)
    monkeypatch.setattr(type(store), "plan_result_pages",
                        lambda self, *a, **k: (reads.append(k.get("page")) or pages(*a, **k)))
    reply = client.get(f"/api/jobs/{job_id}/results?format=csv", buffered=False)
    assert reply.status_code == 200 and reply.is_streamed and reply.mimetype == "text/csv"
    parts = list(reply.response)
    reply.close()
    assert reads == [2] and len(parts) == 1 + 4           # the header, then one part per page of 2 plans
    rows = list(csv.reader(io.StringIO("".join(p.decode() if isinstance(p, bytes) else p for p in parts))))
    paged = client.get(f"/api/jobs/{job_id}/results?offset=0&limit=1000").get_json()["results"]
    assert rows[0] == CSV_COLUMNS and len(rows) == 1 + 7
    assert rows[1:] == [[_cell(c) for c in csv_row(r)] for r in paged]
    assert rows[4][1] == "'" + DANGEROUS                   # neutralised as a spreadsheet formula


def _with_id(store, job_id: str, index: int, plan_id: str) -> str:
    from jobs.compact import pack, unpack

    result = unpack(store.redis.hget(store.key(job_id, ":results"), str(index)))
    return pack({**result, "id": plan_id})


def _cell(value) -> str:
    """What csv.writer writes for a cell, as csv.reader reads it back."""
    return "" if value is None else str(value)
