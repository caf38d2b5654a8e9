"""``source`` in requests: validated against the configured targets and normalised into the job (no server)."""
from __future__ import annotations

import numpy as np
import pytest

from api.job_requests import batch_entries, job_request, validated
from api.schemas import AnalysisRequest, ForecastRequest
from api.schemas.source import SOURCE_TARGETS
from capplan.errors import InvalidRequest
from jobs.hourly_series import hourly_series

CONTEXT = {SOURCE_TARGETS: ["prod", "eu-west"]}
SOURCE = {"prometheus": "prod", "query": 'sum(rate(http_requests_total{service="web"}[1h]))'}


def fields_of(model, body) -> dict:
    with pytest.raises(InvalidRequest) as caught:
        validated(model, body, CONTEXT)
    return caught.value.as_dict()["fields"]


def test_a_source_becomes_a_range_of_whole_hours_ending_at_the_timestamp():
    request = validated(AnalysisRequest, {"current_capacity": 10, "timestamp": "2026-03-01T10:45:00+01:00",
                                          "source": {**SOURCE, "lookback_hours": 48}}, CONTEXT)
    job = job_request("analysis", request)
    assert job["source"] == {"prometheus": "prod", "query": SOURCE["query"], "start": "2026-02-27T10:00:00",
                             "end": "2026-03-01T09:00:00"}
    assert job["timestamp"] == "2026-03-01T09:00:00" and job["history"] is None
    assert job["timestamp_assumed"] is False and job["gaps_filled"] == 0


def test_without_a_timestamp_the_history_ends_at_the_last_whole_hour_and_looks_back_four_weeks():
    job = job_request("forecast", validated(ForecastRequest, {"source": SOURCE}, CONTEXT))
    from datetime import datetime, timedelta

    end = datetime.strptime(job["source"]["end"], "%Y-%m-%dT%H:%M:%S")
    assert end == datetime.strptime(job["timestamp"], "%Y-%m-%dT%H:%M:%S")
    assert end - datetime.strptime(job["source"]["start"], "%Y-%m-%dT%H:%M:%S") == timedelta(hours=671)
    assert job["timestamp_assumed"] is False


@pytest.mark.parametrize("name, reason", [
    ("staging", "is not a configured Prometheus target (configured: eu-west, prod)"),
    ("http://10.0.0.1:9090", "not an address"), ("prometheus.internal:9090", "not an address"),
    ("", "must not be empty")])
def test_an_unknown_target_or_an_address_is_a_400_naming_source_prometheus(name, reason):
    assert reason in fields_of(ForecastRequest, {"source": {**SOURCE, "prometheus": name}})["source.prometheus"]


def test_with_no_targets_configured_every_source_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        validated(ForecastRequest, {"source": SOURCE})
    assert "none is configured" in caught.value.as_dict()["fields"]["source.prometheus"]


@pytest.mark.parametrize("change, field, reason", [
    ({"query": "  "}, "source.query", "must not be blank"),
    ({"query": "x" * 4001}, "source.query", "at most 4000"),
    ({"lookback_hours": 0}, "source.lookback_hours", ">= 1"),
    ({"lookback_hours": 8761}, "source.lookback_hours", "<= 8760"),
    ({"url": "http://x"}, "source.url", "unknown field"),
    ({"plan_per_series": "service"}, "source", "only in a plan of POST /api/capacity/batch")])
def test_bad_source_fields_are_named(change, field, reason):
    assert reason in fields_of(ForecastRequest, {"source": {**SOURCE, **change}})[field]


def test_history_and_source_are_exclusive():
    fields = fields_of(ForecastRequest, {"source": SOURCE, "history": [1.0, 2.0], "timestamp": "2026-01-01T00:00:00"})
    assert fields == {"source": "give a history or a source, not both"}


def test_a_batch_plan_may_expand_per_series_and_a_bad_one_fails_alone():
    plans = batch_entries({"plans": [
        {"id": "all", "current_capacity": 5, "source": {**SOURCE, "plan_per_series": "service"}},
        {"id": "bad", "current_capacity": 5, "source": {**SOURCE, "plan_per_series": "9lives"}},
        {"id": "far", "current_capacity": 5, "source": {**SOURCE, "prometheus": "https://x"}}]}, CONTEXT)
    assert plans[0]["request"]["source"]["plan_per_series"] == "service"
    assert list(plans[1]["error"]["fields"]) == ["source.plan_per_series"]
    assert "not an address" in plans[2]["error"]["fields"]["source.prometheus"]


def test_samples_become_hourly_values_with_missing_and_trailing_hours_counted_as_gaps():
    hours = np.array([10, 11, 13, 13, 14])                      # 12 missing; two samples in hour 13
    loads = np.array([1.0, 2.0, 3.0, 5.0, 6.0])
    series = hourly_series(hours, loads, last_hour=16)          # 15 and 16 missing at the end
    np.testing.assert_allclose(series.values, [1, 2, 3, 4, 6, 6, 6])
    assert series.gaps_filled == 3 and series.last_hour == 16
