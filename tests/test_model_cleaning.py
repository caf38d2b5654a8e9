"""Anomalous days replaced before they become lags: the cleaning itself and the forecaster option."""
from __future__ import annotations

import numpy as np
import pytest

from models.notes import Note
from models.transforms.clean_days import clean_histories
from tests.test_model_calibration import PERIODIC
from tests.test_model_networks import START, forecaster_for, untrained

HOLIDAY = slice(-5 * 24, -4 * 24)   # a whole day inside the last week, not its last day


def with_holiday(values: np.ndarray, factor: float = 0.3) -> np.ndarray:
    out = values.copy()
    out[HOLIDAY] *= factor
    return out


def test_a_day_far_from_its_weekdays_median_is_replaced_by_their_median_hours():
    history = with_holiday(PERIODIC)                              # five identical weeks but for the holiday
    (cleaned,), (count,) = clean_histories([history], 0.1)
    assert count == 1
    np.testing.assert_allclose(cleaned, PERIODIC)                 # the weekday's median is the usual day
    assert np.array_equal(history, with_holiday(PERIODIC))        # the caller's array is left alone


def test_days_within_the_threshold_the_last_day_and_short_histories_are_kept():
    mild = with_holiday(PERIODIC, factor=0.95)                    # 5% down: under a 10% threshold
    last_day = PERIODIC.copy()
    last_day[-24:] *= 0.3                                         # the freshest day may be a new level
    short = with_holiday(PERIODIC)[-2 * 168:]                     # two weeks: no majority to judge by
    zeros = np.zeros(5 * 168)
    out, counts = clean_histories([mild, last_day, short, zeros], 0.1)
    assert counts == [0, 0, 0, 0]
    for before, after in zip([mild, last_day, short, zeros], out):
        assert after is before


def test_histories_of_different_lengths_are_cleaned_each_on_its_own_weeks():
    long = np.concatenate([np.full(500, 7.0), with_holiday(PERIODIC)])   # older hours are never touched
    three_weeks = with_holiday(PERIODIC)[-3 * 168:]
    (a, b), counts = clean_histories([long, three_weeks], 0.1)
    assert counts == [1, 1]
    np.testing.assert_allclose(a, np.concatenate([np.full(500, 7.0), PERIODIC]))
    np.testing.assert_allclose(b, PERIODIC[-3 * 168:])


def test_the_forecaster_sees_the_cleaned_history_but_scores_its_backtest_on_the_real_one():
    model = untrained(seed=0)                                     # median = weekly seasonal naive
    history = with_holiday(PERIODIC)
    plain = forecaster_for(model).forecast([history], [START], 168)[0]
    cleaning = forecaster_for(model, clean_days_threshold=0.1)
    cleaned = cleaning.forecast([history], [START], 168)[0]
    regular = forecaster_for(model).forecast([PERIODIC], [START], 168)[0]
    np.testing.assert_allclose(cleaned.median, regular.median, rtol=1e-6)   # the holiday is not repeated
    assert not np.allclose(plain.median, regular.median, rtol=1e-3)
    assert Note("cleaned_days", {"days": 1, "threshold": 0.1}) in cleaned.notes
    assert not any(note.code == "cleaned_days" for note in plain.notes)
    assert cleaned.backtest["mase_seasonal_naive"] == pytest.approx(plain.backtest["mase_seasonal_naive"])
    assert cleaned.backtest["mase_seasonal_naive"] > 0.1          # the real last week held the holiday
    assert cleaning.info["serving"]["clean_days_threshold"] == 0.1


def test_load_on_a_usually_idle_weekday_counts_as_anomalous():
    week = np.r_[np.full(144, 10.0), np.zeros(24)]               # closed on one weekday slot
    history = np.tile(week, 5)
    history[168 + 150] = 5.0                                      # one hour of load on a closed day
    (cleaned,), (count,) = clean_histories([history], 0.1)
    assert count == 1 and cleaned[168 + 150] == 0.0
    np.testing.assert_array_equal(cleaned, np.tile(week, 5))
