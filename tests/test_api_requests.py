"""Request models called directly: hourly histories from numbers or points, timestamps, the job they make."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from api.hourly_history import hourly_history
from api.job_requests import job_request, validated
from api.schemas import ForecastRequest, PlanRequest
from capplan.errors import InvalidRequest

STAMP = "2024-01-15T10:00:00"


def forecast(**body) -> dict:
    return job_request("forecast", validated(ForecastRequest, body))


def refused(model, body: dict) -> dict:
    with pytest.raises(InvalidRequest) as e:
        validated(model, body)
    return e.value.fields


def test_numbers_are_taken_as_hourly_values():
    request = forecast(history=[1, 2.5, 0], timestamp=STAMP)
    assert request["history"] == [1.0, 2.5, 0.0] and request["gaps_filled"] == 0
    assert request["timestamp"] == STAMP and request["timestamp_assumed"] is False


@pytest.mark.parametrize("raw, field, reason", [
    ([1, True], "history[1]", "must be a number"),
    ([1, 2, "3"], "history[2]", "must be a number"),
    ([0.5, float("inf")], "history[1]", "must be finite (not NaN or infinite)"),
    ([3, -1e-9], "history[1]", "must be >= 0"),
    ([3, 1.000001e12], "history[1]", "must be <= 1e12"),
    ([3, 10 ** 400], "history[1]", "is too large"),
])
def test_a_bad_value_among_numbers_is_named_by_its_index(raw, field, reason):
    assert refused(ForecastRequest, {"history": raw, "timestamp": STAMP}) == {field: reason}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 10 ** 12), st.floats(0, 1e12)), min_size=1, max_size=50))
def test_numbers_checked_in_bulk_are_the_values_one_by_one(raw):
    assert forecast(history=raw, timestamp=STAMP)["history"] == [float(v) for v in raw]


def test_points_are_resampled_to_hours_gaps_interpolated_and_counted():
    points = [{"timestamp": "2024-01-01T00:10:00", "load": 10}, {"timestamp": "2024-01-01T00:50:00", "load": 20},
              {"timestamp": "2024-01-01T03:00:00Z", "load": 45}, {"timestamp": "2024-01-01T01:00:00", "load": 30}]
    request = forecast(history=points)
    assert request["history"] == [15.0, 30.0, 37.5, 45.0]   # hour 2 filled between 30 and 45
    assert request["gaps_filled"] == 1 and request["timestamp"] == "2024-01-01T03:00:00"
    assert request["timestamp_assumed"] is False


def test_timestamps_with_offsets_become_naive_utc_hours():
    assert forecast(current_load=1, timestamp="2024-01-15T12:30:00+02:00")["timestamp"] == STAMP
    assert "timestamp" in refused(ForecastRequest, {"current_load": 1, "timestamp": 20240115})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.floats(0, 1e6)), min_size=1, max_size=60))
def test_resampling_covers_the_span_and_stays_within_the_loads(pairs):
    points = [{"timestamp": f"2024-02-{1 + h // 24:02d}T{h % 24:02d}:00:00", "load": v} for h, v in pairs]
    parsed = hourly_history(validated(ForecastRequest, {"history": points}).history)
    hours = [h for h, _ in pairs]
    assert len(parsed.values) == max(hours) - min(hours) + 1
    assert parsed.gaps_filled == len(parsed.values) - len(set(hours))
    loads = [v for _, v in pairs]
    assert np.all(parsed.values >= min(loads) - 1e-6) and np.all(parsed.values <= max(loads) + 1e-6)


def test_current_load_is_taken_as_the_last_history_value():
    request = forecast(history=[1, 2, 3], current_load=9, timestamp="2024-01-01T05:00:00")
    assert request["history"] == [1.0, 2.0, 9.0] and request["timestamp"] == "2024-01-01T05:00:00"


def test_timestamp_must_match_the_last_point():
    body = {"history": [{"timestamp": "2024-01-01T00:00:00", "load": 1}], "timestamp": "2024-01-02T00:00:00"}
    assert "timestamp" in refused(ForecastRequest, body)


def test_points_spanning_more_than_a_year_are_refused():
    body = {"history": [{"timestamp": "2023-01-01T00:00:00", "load": 1},
                        {"timestamp": "2024-01-01T00:00:00", "load": 1}]}
    assert refused(ForecastRequest, body) == {"history": "points span 8761 hours; at most 8760"}


def test_without_a_timestamp_the_current_utc_hour_is_assumed_and_said():
    request = forecast(current_load=5)
    stamp = datetime.strptime(request["timestamp"], "%Y-%m-%dT%H:%M:%S")
    assert stamp.minute == 0 and abs((datetime.utcnow() - stamp).total_seconds()) < 3700
    assert request["hours_ahead"] == 24 and request["history"] is None and request["timestamp_assumed"] is True


@pytest.mark.parametrize("text", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-01:00",
                                  "0999-06-01T00:00:00", "9999-12-31T20:00:00"])
def test_timestamps_a_forecast_cannot_reach_are_a_validation_error(text):
    body = {"history": [{"timestamp": text, "load": 1}]}
    assert "history[0].timestamp" in refused(ForecastRequest, body)


def test_plan_options_given_are_kept_as_given_and_nulls_mean_the_default():
    request = job_request("recommendations", validated(PlanRequest, {
        "current_capacity": 500, "current_load": 1, "lead_time_hours": 2.0, "scaling_threshold": None}))
    assert request["plan"] == {"current_capacity": 500.0, "lead_time_hours": 2}
    assert type(request["plan"]["lead_time_hours"]) is int
