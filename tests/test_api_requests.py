"""Request parsing: hourly histories from numbers or points, timestamps, the forecast part of a body."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from capplan.errors import InvalidRequest
from api.hourly_history import parse_history, parse_timestamp
from api.job_requests import forecast_request


def test_numbers_are_taken_as_hourly_values():
    parsed = parse_history([1, 2.5, 0])
    assert parsed.values.tolist() == [1.0, 2.5, 0.0] and parsed.gaps_filled == 0 and parsed.last_timestamp is None


@pytest.mark.parametrize("raw, field, reason", [
    ([1, True], "history[1]", "must be a number"),
    ([1, 2, "3"], "history[2]", "must be a number"),
    ([0.5, float("inf")], "history[1]", "must be finite (not NaN or infinite)"),
    ([3, -1e-9], "history[1]", "must be >= 0"),
])
def test_a_bad_value_among_numbers_is_named_by_its_index(raw, field, reason):
    with pytest.raises(InvalidRequest) as e:
        parse_history(raw)
    assert e.value.fields == {field: reason}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 2**80), st.floats(0, 1e300)), min_size=1, max_size=50))
def test_numbers_checked_in_bulk_are_the_values_one_by_one(raw):
    assert parse_history(raw).values.tolist() == [float(v) for v in raw]


def test_points_are_resampled_to_hours_gaps_interpolated_and_counted():
    points = [{"timestamp": "2024-01-01T00:10:00", "load": 10}, {"timestamp": "2024-01-01T00:50:00", "load": 20},
              {"timestamp": "2024-01-01T03:00:00Z", "load": 45}, {"timestamp": "2024-01-01T01:00:00", "load": 30}]
    parsed = parse_history(points)
    assert parsed.values.tolist() == [15.0, 30.0, 37.5, 45.0]   # hour 2 filled between 30 and 45
    assert parsed.gaps_filled == 1 and parsed.last_timestamp == datetime(2024, 1, 1, 3)


def test_timestamps_with_offsets_become_naive_utc_hours():
    assert parse_timestamp("2024-01-15T12:30:00+02:00") == datetime(2024, 1, 15, 10)
    with pytest.raises(InvalidRequest) as e:
        parse_timestamp(20240115)
    assert "timestamp" in e.value.fields


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.floats(0, 1e6)), min_size=1, max_size=60))
def test_resampling_covers_the_span_and_stays_within_the_loads(pairs):
    points = [{"timestamp": f"2024-02-{1 + h // 24:02d}T{h % 24:02d}:00:00", "load": v} for h, v in pairs]
    parsed = parse_history(points)
    hours = [h for h, _ in pairs]
    assert len(parsed.values) == max(hours) - min(hours) + 1
    assert parsed.gaps_filled == len(parsed.values) - len(set(hours))
    loads = [v for _, v in pairs]
    assert np.all(parsed.values >= min(loads) - 1e-6) and np.all(parsed.values <= max(loads) + 1e-6)


def test_current_load_is_taken_as_the_last_history_value():
    request = forecast_request({"history": [1, 2, 3], "current_load": 9, "timestamp": "2024-01-01T05:00:00"}, 24)
    assert request["history"] == [1.0, 2.0, 9.0] and request["timestamp"] == "2024-01-01T05:00:00"


def test_timestamp_must_match_the_last_point():
    body = {"history": [{"timestamp": "2024-01-01T00:00:00", "load": 1}], "timestamp": "2024-01-02T00:00:00"}
    with pytest.raises(InvalidRequest) as e:
        forecast_request(body, 24)
    assert "timestamp" in e.value.fields


def test_default_timestamp_is_the_current_utc_hour():
    request = forecast_request({"current_load": 5}, 24)
    stamp = datetime.strptime(request["timestamp"], "%Y-%m-%dT%H:%M:%S")
    assert stamp.minute == 0 and abs((datetime.utcnow() - stamp).total_seconds()) < 3700
    assert request["hours_ahead"] == 24 and request["history"] is None


@pytest.mark.parametrize("text", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-01:00",
                                  "0999-06-01T00:00:00", "9999-12-31T20:00:00"])
def test_timestamps_a_forecast_cannot_reach_are_a_validation_error(text):
    with pytest.raises(InvalidRequest) as e:
        parse_timestamp(text, "history[0].timestamp")
    assert "history[0].timestamp" in e.value.fields
