"""connectors.prometheus against a real Prometheus over backfilled series (tests/prometheus_server.py)."""
from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pytest

from connectors.prometheus import SOURCE_ERROR, SOURCE_UNAVAILABLE, PrometheusClient, SourceError
from connectors.targets import Target
from jobs.hourly_series import hourly_series
from tests.local_server import free_port
from tests.prometheus_server import GAPPY, GAPPY_MISSING, GAPPY_NAN, LOAD_METRIC, SERVICES

pytestmark = pytest.mark.integration


def client(prometheus, **fields) -> PrometheusClient:
    return PrometheusClient(Target("prometheus", "prod", prometheus.url, **fields), backoff_s=0.01)


def test_one_series_with_missing_hours_and_nan_becomes_the_inline_history(prometheus):
    data = prometheus.dataset
    got = client(prometheus).query_range(f'{LOAD_METRIC}{{service="{GAPPY}"}}', data.start, data.end)
    assert len(got.series) == 1 and got.series[0].labels["service"] == GAPPY
    one = got.series[0]
    assert one.dropped == len(GAPPY_NAN)
    assert len(one.values) == data.hours - len(GAPPY_MISSING) - len(GAPPY_NAN)
    hourly = hourly_series(one.hours, one.values)
    assert hourly.gaps_filled == len(GAPPY_MISSING) + len(GAPPY_NAN)
    np.testing.assert_allclose(hourly.values, data.expected(GAPPY))


def test_a_range_longer_than_max_points_is_split_and_joined(prometheus):
    data = prometheus.dataset
    query = f'{LOAD_METRIC}{{service="web"}}'
    whole = client(prometheus).query_range(query, data.start, data.end).series[0]
    before = prometheus.range_queries()
    parts = client(prometheus, max_points=100).query_range(query, data.start, data.end).series[0]
    assert prometheus.range_queries() - before == -(-data.hours // 100)        # ceil(840 / 100) queries
    np.testing.assert_array_equal(parts.hours, whole.hours)
    np.testing.assert_array_equal(parts.values, whole.values)


def test_twelve_thousand_hours_are_asked_in_two_queries(prometheus):
    """Prometheus refuses a range query of more than 11,000 points; the client splits it."""
    data = prometheus.dataset
    start = data.end - timedelta(hours=11_999)
    before = prometheus.range_queries()
    got = client(prometheus).query_range(f"sum by (service) ({LOAD_METRIC})", start, data.end)
    assert prometheus.range_queries() - before == 2
    by_service = {s.labels.get("service"): s for s in got.series}
    assert set(SERVICES) <= set(by_service)
    np.testing.assert_allclose(by_service["web"].values, data.loads["web"])


def test_prometheus_own_error_is_quoted_with_the_target_label_and_no_address(prometheus):
    data = prometheus.dataset
    with pytest.raises(SourceError) as caught:
        client(prometheus).query_range("sum(rate(", data.start, data.end)
    assert caught.value.code == SOURCE_ERROR
    assert caught.value.message.startswith("prometheus:prod: bad_data: ")
    assert "parse error" in caught.value.message
    assert str(prometheus.port) not in caught.value.message and "127.0.0.1" not in caught.value.message


def test_no_series_is_an_empty_answer_not_an_error(prometheus):
    data = prometheus.dataset
    assert client(prometheus).query_range('absent_metric{x="y"}', data.start, data.end).series == []


def test_an_unset_credential_variable_is_named_not_guessed(prometheus, monkeypatch):
    monkeypatch.delenv("CAPPLAN_TEST_NO_TOKEN", raising=False)
    data = prometheus.dataset
    with pytest.raises(SourceError) as caught:
        client(prometheus, bearer_token_env="CAPPLAN_TEST_NO_TOKEN").query_range("up", data.start, data.end)
    assert "CAPPLAN_TEST_NO_TOKEN" in caught.value.message and caught.value.message.startswith("prometheus:prod")


def test_a_stopped_prometheus_is_unavailable_after_retries_and_names_no_address():
    port = free_port()             # nothing listens there
    target = Target("prometheus", "gone", f"http://127.0.0.1:{port}", timeout_s=1.0)

    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        PrometheusClient(target, backoff_s=0.01).query_range("up", datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert time.monotonic() - started < 5
    assert caught.value.code == SOURCE_UNAVAILABLE
    assert caught.value.message == "prometheus:gone: cannot connect (after 2 retries)"


def _answered_once(name: str, reply: bytes) -> SourceError:
    """The SourceError of a query to a server that answers ``reply`` (raw HTTP) once, then closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(reply)

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    target = Target("prometheus", name, f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=5.0)
    try:
        with pytest.raises(SourceError) as caught:
            PrometheusClient(target, backoff_s=0.01).query_range("up", datetime(2026, 1, 1), datetime(2026, 1, 2))
    finally:
        server.join(5)
        listener.close()
    return caught.value


def test_an_answer_cut_off_mid_body_is_unavailable_and_says_so():
    """A Prometheus stopped while it streams its answer: a chunked body that ends without its last chunk."""
    caught = _answered_once("cut", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n"
                                   b"10\r\n{\"status\":\"succ")          # 16 bytes promised, 14 sent, then closed
    assert caught.code == SOURCE_UNAVAILABLE
    assert caught.message == "prometheus:cut: connection lost in the middle of the answer"


def test_a_query_cancelled_as_prometheus_shuts_down_is_unavailable_with_its_message():
    body = b'{"status":"error","errorType":"canceled","error":"query was canceled in query execution"}'
    caught = _answered_once("prod", b"HTTP/1.1 499 Client Closed Request\r\nContent-Type: application/json\r\n"
                                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert caught.code == SOURCE_UNAVAILABLE                       # a 4xx, but no fault of the query
    assert caught.message == "prometheus:prod: canceled: query was canceled in query execution"
