"""Histories from Prometheus through the whole service: a real Prometheus over backfilled series, Redis,
a Celery worker and the API, with the target in CAPPLAN_CONFIG and its token in an environment variable."""
from __future__ import annotations

import json
import logging
import secrets
import time

import numpy as np
import pytest
import redis

from connectors.prometheus import TRANSIENT_ERRORS
from jobs.compact import MARKER, unpack
from tests.live_stack import LiveStack, http
from tests.prometheus_server import GAPPY, GAPPY_MISSING, GAPPY_NAN, LOAD_METRIC, SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TOKEN_VARIABLE = "CAPPLAN_TEST_PROMETHEUS_TOKEN"
TOKEN = "tok-" + secrets.token_hex(16)
PER_SERVICE = f"sum by (service) ({LOAD_METRIC})"


class Lines(logging.Handler):
    """Every log record of this process (the API runs in it), formatted, to search for the token."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + repr(vars(record)))


@pytest.fixture(scope="module")
def prom(prometheus):
    """The shared test Prometheus (tests/conftest.py); `prometheus` is a keyword of source() here."""
    return prometheus


@pytest.fixture(scope="module")
def stack(prom, tmp_path_factory):
    config = tmp_path_factory.mktemp("sources") / "capplan.toml"
    config.write_text(f'[prometheus.prod]\nurl = "{prom.url}"\nbearer_token_env = "{TOKEN_VARIABLE}"\n'
                      f'timeout_s = 5\n\n[prometheus.split]\nurl = "{prom.url}"\nmax_points = 100\n')
    patch = pytest.MonkeyPatch()
    patch.setenv(TOKEN_VARIABLE, TOKEN)           # the workers inherit it; only they call Prometheus
    lines = Lines()
    logging.getLogger().addHandler(lines)
    live = LiveStack(workers=1, settings={"CAPPLAN_CONFIG": str(config), "BATCH_CHUNK_SIZE": 4, "SYNC_WAIT_S": 60})
    try:
        live.start()
        live.log_lines = lines.lines
        yield live
    finally:
        live.close() if live.redis else None
        logging.getLogger().removeHandler(lines)
        patch.undo()


def post(stack, path, body):
    return http("POST", stack.base_url + path, body, timeout=90)


def wait_job(stack, job_id, timeout=120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http("GET", f"{stack.base_url}/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} unfinished: {job}")


def results(stack, job_id) -> list[dict]:
    return http("GET", f"{stack.base_url}/api/jobs/{job_id}/results?limit=1000").json()["results"]


def source(service: str, prom, **more) -> dict:
    return {"prometheus": "prod", "query": f'{LOAD_METRIC}{{service="{service}"}}',
            "lookback_hours": prom.dataset.hours, **more}


def test_a_forecast_from_prometheus_is_the_forecast_of_the_same_history_inline(stack, prom):
    end = prom.dataset.end.isoformat()
    fetched = post(stack, "/api/forecast", {"hours_ahead": 24, "timestamp": end, "source": source("web", prom)})
    inline = post(stack, "/api/forecast", {"hours_ahead": 24, "timestamp": end,
                                          "history": prom.dataset.expected("web").tolist()})
    body, same = fetched.json(), inline.json()
    assert fetched.status == 200, body
    assert body["history_source"] == "prometheus:prod" and same["history_source"] == "provided"
    assert body["history_query"] == f'{LOAD_METRIC}{{service="web"}}'
    assert body["history_hours"] == prom.dataset.hours and body["gaps_filled"] == 0
    assert body["forecast"] == same["forecast"] and body["backtest"] == same["backtest"]


def test_the_cli_plans_from_prometheus(stack, prom, capsys):
    from capplan.cli import main

    query = f'{LOAD_METRIC}{{service="web"}}'
    args = ["plan", "--url", stack.base_url, "--capacity", "5000", "--prometheus", "prod", "--query", query,
            "--lookback-hours", "336", "--last-hour", prom.dataset.end.strftime("%Y-%m-%dT%H")]
    assert main([*args, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["forecast"]["history_source"], body["forecast"]["history_hours"]) == ("prometheus:prod", 336)
    assert main(args) == 0
    assert "on 336 h of prometheus:prod history" in capsys.readouterr().out
    assert main([*args[:-2], "--prometheus", "staging"]) == 1       # the last --prometheus wins: unknown
    assert "source.prometheus (--prometheus): is not a configured Prometheus target" in capsys.readouterr().err


def test_a_rate_query_over_a_counter_forecasts_too(stack, prom):
    query = 'sum(rate(http_requests_total{service="web"}[1h]))'
    reply = post(stack, "/api/forecast", {"hours_ahead": 24, "timestamp": prom.dataset.end.isoformat(),
                                          "source": {"prometheus": "prod", "query": query}})
    body = reply.json()
    assert reply.status == 200, body
    assert body["history_query"] == query and body["history_hours"] == 672      # the default lookback
    assert 0.5 * prom.dataset.loads["web"].mean() < np.mean([p["predicted_load"] for p in body["forecast"]]) \
        < 2 * prom.dataset.loads["web"].mean()


def test_an_analysis_with_gaps_matches_the_same_points_inline(stack, prom):
    data = prom.dataset
    end = data.end.isoformat()
    plan = {"hours_ahead": 48, "current_capacity": 3000, "timestamp": end}
    skipped = set(GAPPY_MISSING) | set(GAPPY_NAN)
    points = [{"timestamp": (data.start + (data.end - data.start) * h / (data.hours - 1)).isoformat(), "load": v}
              for h, v in enumerate(data.loads[GAPPY].tolist()) if h not in skipped]
    fetched = post(stack, "/api/capacity/analyze", {**plan, "source": source(GAPPY, prom, prometheus="split")})
    inline = post(stack, "/api/capacity/analyze", {**plan, "history": points})
    assert fetched.status == inline.status == 200
    body, same = fetched.json(), inline.json()
    assert body["history_source"] == "prometheus:split"
    assert body["forecast"]["gaps_filled"] == same["forecast"]["gaps_filled"] == len(skipped)
    assert {"code": "gaps_filled"}.items() <= body["assumptions"][0].items()
    assert body["analysis"] == same["analysis"]


def test_a_batch_plans_every_service_from_one_query(stack, prom):
    reply = post(stack, "/api/capacity/batch", {"plans": [
        {"id": "inline", "current_capacity": 900, "current_load": 400},
        {"current_capacity": 5000, "hours_ahead": 24, "timestamp": prom.dataset.end.isoformat(),
         "source": {"prometheus": "prod", "query": PER_SERVICE, "plan_per_series": "service"}}]})
    accepted = reply.json()
    assert reply.status == 202 and accepted["expands"] is True, accepted
    job = wait_job(stack, accepted["job_id"])
    assert job["status"] == "succeeded", job
    services = sorted((*SERVICES, GAPPY))
    assert job["progress"] == {"done": 2 + len(services), "total": 2 + len(services)}   # + inline + orphan
    assert job["result"]["plans"] == 2 + len(services) and job["result"]["failed"] == 1
    got = results(stack, accepted["job_id"])
    assert [r["id"] for r in got] == ["inline", *services, "1#5"]
    assert [r["index"] for r in got] == list(range(len(got)))
    assert all(r["success"] and r["history_source"] == "prometheus:prod" and r["history_query"] == PER_SERVICE
               for r in got[1:-1])
    assert got[-1]["error"]["code"] == "source_error" and "no label service" in got[-1]["error"]["message"]
    assert got[0]["history_source"] == "synthetic"
    paged = http("GET", f"{stack.base_url}/api/jobs/{accepted['job_id']}/results?offset=4&limit=2").json()
    assert [r["id"] for r in paged["results"]] == [got[4]["id"], got[5]["id"]] and paged["total"] == len(got)


def test_no_series_and_several_series_are_clear_errors(stack, prom):
    end = prom.dataset.end.isoformat()
    none = post(stack, "/api/forecast", {"timestamp": end, "source": {"prometheus": "prod", "query": "nothing_here"}})
    many = post(stack, "/api/forecast", {"timestamp": end, "source": {"prometheus": "prod", "query": LOAD_METRIC}})
    assert none.status == 422 and none.json()["error"]["code"] == "source_error"
    assert none.json()["error"]["message"].startswith("prometheus:prod: the query returned no series")
    assert many.status == 422 and "returned 6 series" in many.json()["error"]["message"]
    bad = post(stack, "/api/forecast", {"timestamp": end, "source": {"prometheus": "prod", "query": "rate(x[1h"}})
    assert bad.status == 422 and bad.json()["error"]["message"].startswith("prometheus:prod: bad_data: ")


@pytest.mark.parametrize("name, reason", [
    ("staging", "is not a configured Prometheus target (configured: prod, split)"),
    ("http://evil.example:9090", "not an address"),
    ("prod@evil.example", "not an address")])
def test_an_unconfigured_target_or_an_address_is_refused(stack, name, reason):
    reply = post(stack, "/api/forecast", {"source": {"prometheus": name, "query": "up"}})
    assert reply.status == 400
    assert reason in reply.json()["error"]["fields"]["source.prometheus"]
    batch = post(stack, "/api/capacity/batch", {"plans": [{"current_capacity": 1, "source": {
        "prometheus": name, "query": "up", "plan_per_series": "service"}}]})
    job = wait_job(stack, batch.json()["job_id"])
    assert reason in results(stack, job["job_id"])[0]["error"]["fields"]["source.prometheus"]


def test_prometheus_stopped_mid_batch_fails_those_plans_not_the_worker(stack, prom):
    end = prom.dataset.end.isoformat()
    plans = [{"id": f"p{i}", "current_capacity": 5000, "hours_ahead": 24, "timestamp": end,
              **({"source": source(SERVICES[i % 4], prom)} if i % 2 else {"current_load": 300})} for i in range(24)]
    reply = post(stack, "/api/capacity/batch", {"plans": plans})
    prom.stop()
    try:
        job = wait_job(stack, reply.json()["job_id"])
        assert job["status"] == "succeeded", job
        got = results(stack, job["job_id"])
        assert all(r["success"] for r in got[::2])                       # the inline plans
        failed = [r for r in got[1::2] if not r["success"]]
        assert failed, "the batch finished before Prometheus stopped"
        for r in failed:
            assert r["error"]["code"] == "source_unavailable"
            assert r["error"]["message"].startswith((      # refused, cut off mid-answer, or its query cancelled
                "prometheus:prod: cannot connect", "prometheus:prod: connection lost in the middle",
                *(f"prometheus:prod: {kind}: " for kind in TRANSIENT_ERRORS)))
            assert str(prom.port) not in r["error"]["message"]
        down = post(stack, "/api/forecast", {"timestamp": end, "source": source("web", prom)})
        assert down.status == 502 and down.json()["error"]["code"] == "source_unavailable"
    finally:
        prom.start()
    deadline = time.monotonic() + 30
    while True:                                                          # the worker's short back-off passes
        again = post(stack, "/api/forecast", {"timestamp": end, "source": source("web", prom)})
        if again.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert again.status == 200 and stack.worker_procs[0].poll() is None


def test_no_secret_in_any_job_record_or_log_line(stack, prom):
    """Last in this module: every job above has been stored and logged."""
    client = redis.Redis.from_url(stack.redis_url)
    stored = []
    for key in client.scan_iter("capplan:*"):
        kind = client.type(key).decode()
        values = {"string": lambda: [client.get(key)], "hash": lambda: client.hvals(key),
                  "list": lambda: client.lrange(key, 0, -1)}.get(kind, lambda: [])()
        stored += [unpack(v.decode()) if v.startswith(MARKER.encode()) else v.decode() for v in values
                   if isinstance(v, bytes)]
    text = repr(stored)
    assert "prometheus:prod" in text                 # the records do hold the sources, by name
    assert TOKEN not in text and TOKEN_VARIABLE not in text and "Bearer" not in text
    assert TOKEN not in stack.worker_log(0) and "Bearer" not in stack.worker_log(0)
    assert stack.worker_log(0).count("history source failed") >= 1
    assert not [line for line in stack.log_lines if TOKEN in line]
