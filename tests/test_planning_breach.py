"""planning.breach: the first to the last hour whose p90 load reaches the threshold of today's capacity."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from planning.breach import breach_arrays, predicted_breach

START = datetime(2024, 1, 15, 11)          # the first forecast hour (the request's timestamp was 10:00)


def test_no_hour_reaching_the_threshold_is_no_breach():
    assert predicted_breach(START, [500, 790, 799.9], 1000, 0.8, 1000) is None


def test_the_breach_spans_the_first_to_the_last_hour_over_and_peaks_between():
    p90 = [500, 790, 800, 950, 700, 850, 600]          # over (>= 800) at hours 2, 3 and 5
    breach = predicted_breach(START, p90, 1000, 0.8, 1250)
    assert breach == {
        "start": "2024-01-15T13:00:00", "end": "2024-01-15T17:00:00", "starts_in_hours": 3,
        "hours_over_threshold": 3, "severity": "critical",
        "peak": {"timestamp": "2024-01-15T14:00:00", "p90_load": 950.0, "p90_utilization": 0.95},
        "current_capacity": 1000, "scaling_threshold": 0.8, "recommended_capacity": 1250}


def test_a_breach_more_than_six_hours_away_is_a_warning():
    six = predicted_breach(START, [100.0] * 5 + [900.0] + [100.0] * 4, 1000, 0.8, None)
    seven = predicted_breach(START, [100.0] * 6 + [900.0] + [100.0] * 3, 1000, 0.8, None)
    assert (six["starts_in_hours"], six["severity"]) == (6, "critical")
    assert (seven["starts_in_hours"], seven["severity"]) == (7, "warning")
    assert seven["end"] == "2024-01-15T18:00:00"            # one hour after its only hour, 17:00


def test_a_breach_to_the_horizon_ends_after_the_last_hour():
    breach = predicted_breach(START, [900.0, 990.0, 1200.0], 1000, 0.8, 1500)
    assert (breach["start"], breach["end"], breach["peak"]["timestamp"]) == (
        "2024-01-15T11:00:00", "2024-01-15T14:00:00", "2024-01-15T13:00:00")
    assert breach["peak"]["p90_utilization"] == 1.2


def test_the_vectorised_arrays_agree_with_a_loop_over_hours():
    rng = np.random.default_rng(7)
    p90 = rng.uniform(0, 1200, size=(200, 24))
    capacity = rng.uniform(500, 1500, size=200)
    threshold = rng.uniform(0.5, 1.0, size=200)
    found = breach_arrays(p90, capacity, threshold)
    for i in range(200):
        over = [h for h in range(24) if p90[i, h] / capacity[i] >= threshold[i]]
        if not over:
            assert found["first"][i] == found["last"][i] == found["peak"][i] == -1
            continue
        assert (found["first"][i], found["last"][i], found["hours_over"][i]) == (over[0], over[-1], len(over))
        assert found["peak"][i] == over[0] + int(np.argmax(p90[i, over[0]:over[-1] + 1]))
