"""workers.batch_expansion on a real Redis and the test Prometheus: one plan per series, chunked anew, once."""
from __future__ import annotations

import pytest

from connectors.targets import Connectors, Target
from jobs.job_request import TS_FORMAT
from tests.prometheus_server import GAPPY, LOAD_METRIC, SERVICES
from workers.batch_expansion import expand_batch
from workers.sources import SourceClients

pytestmark = pytest.mark.integration


def plan(prometheus, plan_id: str, query: str, per_series: str | None = "service") -> dict:
    data = prometheus.dataset
    source = {"prometheus": "prod", "query": query, "start": data.start.strftime(TS_FORMAT),
              "end": data.end.strftime(TS_FORMAT), **({"plan_per_series": per_series} if per_series else {})}
    return {"id": plan_id, "request": {"hours_ahead": 24, "timestamp": data.end.strftime(TS_FORMAT), "history": None,
                                       "current_load": None, "gaps_filled": 0, "plan": {"current_capacity": 10},
                                       "source": source}}


def test_plans_expand_per_series_once_and_a_redelivery_sends_the_same_chunks(store, prometheus):
    clients = SourceClients(Connectors({"prometheus": {"prod": Target("prometheus", "prod", prometheus.url)}}))
    given = [plan(prometheus, "all", f"sum by (service) ({LOAD_METRIC})"),
             {"id": "broken", "error": {"code": "validation_error", "message": "x", "fields": {}}},
             plan(prometheus, "none", "absent_metric"),
             plan(prometheus, "one", f'{LOAD_METRIC}{{service="db"}}', per_series=None)]
    job_id = store.create("batch", {"plans": 4, "chunks": 2, "expands": True}, total=4)
    pipe = store.redis.pipeline()
    store.store_chunks(job_id, [{"offset": 0, "plans": given[:2]}, {"offset": 2, "plans": given[2:]}], pipe)
    pipe.execute()

    assert expand_batch(store, clients, job_id, chunks=2, chunk_size=3) == 3          # 9 plans, 3 a chunk
    chunks = [store.load_chunk(job_id, i) for i in range(3)]
    ids = [p["id"] for c in chunks for p in c["plans"]]
    assert ids == sorted((*SERVICES, GAPPY)) + ["all#5", "broken", "none", "one"]
    assert [c["offset"] for c in chunks] == [0, 3, 6]
    first = chunks[0]["plans"][0]["request"]
    assert "source" not in first and first["history_source"] == "prometheus:prod" and len(first["history"]) == 840
    assert first["plan"] == {"current_capacity": 10}
    gappy = next(p for c in chunks for p in c["plans"] if p["id"] == GAPPY)
    assert gappy["request"]["gaps_filled"] == 8
    assert "no label service" in chunks[1]["plans"][2]["error"]["message"]
    assert chunks[2]["plans"][1]["error"]["message"] == "prometheus:prod: the query returned no series, so no plans"
    assert "source" in chunks[2]["plans"][2]["request"]          # not per series: a chunk fetches it, as usual
    record = store.get(job_id)
    assert record["progress"]["total"] == 9 and record["status"] == "running"
    assert store.load([job_id])[0]["request"] == {"plans": 9, "chunks": 3, "expands": True, "expanded": True}

    queries = prometheus.range_queries()
    assert expand_batch(store, clients, job_id, chunks=2, chunk_size=3) == 3          # redelivered
    assert prometheus.range_queries() == queries                                            # without a new query
    assert [store.load_chunk(job_id, i) for i in range(3)] == chunks
