"""Each forecaster through its own interface: ``forecast(SeriesBatch) -> QuantileForecast`` over every row.

A batch's rows are its series' forecasts, then one backtest row for each series with two weeks or more.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler

from models.features import WEEK, epoch_hour
from models.forecast import SeriesBatch
from models.forecasters.legacy import LegacyForecaster
from models.forecasters.network import NetworkForecaster
from models.forecasters.seasonal_naive import WeeklyNaive
from models.forecasters.seasonal_trend import SeasonalTrend, seasonal_trend
from models.network import LegacyAttentionLSTM
from models.notes import Note
from tests.test_model_calibration import PERIODIC
from tests.test_model_networks import START, untrained
from tests.test_model_seasonal import growing

LAST = epoch_hour(START)
CPU = torch.device("cpu")
STEPPED = PERIODIC * np.repeat([1.0, 1.1, 1.2, 0.9, 1.3], WEEK)   # five weeks, each at its own level


def batch_of(*histories: np.ndarray) -> SeriesBatch:
    return SeriesBatch.of(list(histories), [LAST] * len(histories))


def test_a_batch_puts_the_backtest_rows_after_the_forecast_rows():
    batch = batch_of(STEPPED, STEPPED[:100], STEPPED[:2 * WEEK])
    assert batch.backtested == [0, 2] and len(batch.inputs) == 5
    np.testing.assert_array_equal(batch.inputs[3], STEPPED[:-WEEK])    # series 0 before its last week
    np.testing.assert_array_equal(batch.inputs[4], STEPPED[:WEEK])
    np.testing.assert_array_equal(batch.row_lasts, [LAST, LAST, LAST, LAST - WEEK, LAST - WEEK])
    np.testing.assert_array_equal(batch.actual(), np.stack([STEPPED[-WEEK:], STEPPED[WEEK:2 * WEEK]]))


def test_the_network_forecasts_every_row_and_notes_what_it_padded():
    forecaster = NetworkForecaster(untrained(seed=0), CPU, profile=np.linspace(0.5, 1.5, WEEK))
    out = forecaster.forecast(batch_of(STEPPED, STEPPED[:100]))
    assert out.median.shape == (3, WEEK) and out.method == ["attention_bilstm"] * 3
    np.testing.assert_allclose(out.median[0], STEPPED[-WEEK:], rtol=1e-5)        # untrained: weekly naive
    np.testing.assert_allclose(out.median[2], STEPPED[-2 * WEEK:-WEEK], rtol=1e-5)    # the backtest row's
    assert np.all(out.p10 <= out.median) and np.all(out.median <= out.p90) and np.all(out.p10 >= 0)
    assert out.notes[0] == []
    assert out.notes[1] == [Note("padded_history", {"hours": 100, "context": 672, "padded": 572, "how": "profile"}),
                            Note("short_history", {"hours": 216})]


def legacy_forecaster() -> LegacyForecaster:
    """The original network, tiny and random, with scalers fitted on a 0..505 series (as the notebook's were)."""
    torch.manual_seed(0)
    counts = np.linspace(0, 505, 200)
    target = MinMaxScaler().fit(np.stack([counts, counts[::-1], counts], axis=1))
    times = MinMaxScaler().fit(np.stack([np.arange(200) % 24, np.arange(200) % 7], axis=1))
    return LegacyForecaster(LegacyAttentionLSTM(hidden_size=8).eval(), target, times, CPU)


def test_the_legacy_network_rolls_every_row_forward_and_gives_no_band_of_its_own():
    forecaster = legacy_forecaster()
    history = 300 + 150 * np.sin(2 * np.pi * np.arange(3 * WEEK) / 24)   # inside its scale
    out = forecaster.forecast(batch_of(history, history / 10))
    assert out.median.shape == (4, WEEK) and out.method == ["legacy_attention_lstm"] * 4
    np.testing.assert_array_equal(out.p10, out.median)
    np.testing.assert_array_equal(out.p90, out.median)
    assert np.all(np.isfinite(out.median)) and np.all(out.median >= 0)
    alone = forecaster.forecast(SeriesBatch.of([history[:-WEEK]], [LAST - WEEK]))   # the backtest row, on its own
    np.testing.assert_allclose(out.median[2], alone.median[0], rtol=1e-5, atol=1e-4)
    assert out.notes[0] == []
    scale, = out.notes[1]                                          # max 45: far below the 0..505 it knows
    assert scale.code == "out_of_scale"
    assert scale.values == pytest.approx({"low": 0.0, "high": 505.0, "peak": 45.0})


def test_weekly_naive_repeats_the_last_week_with_the_band_of_its_backtest_errors():
    rising = np.concatenate([PERIODIC[:2 * WEEK], PERIODIC[2 * WEEK:3 * WEEK] * 1.1])   # last week 10% up
    out = WeeklyNaive().forecast(batch_of(rising, PERIODIC[:100]))
    np.testing.assert_array_equal(out.median[0], rising[-WEEK:])
    np.testing.assert_array_equal(out.median[1], np.full(WEEK, PERIODIC[99]))   # under a week: the last value
    np.testing.assert_array_equal(out.median[2], rising[WEEK:2 * WEEK])          # the backtest row
    errors = rising[-WEEK:] - rising[WEEK:2 * WEEK]                              # all positive
    np.testing.assert_array_equal(out.p10[0], out.median[0])                     # no error below: p10 = median
    np.testing.assert_allclose(out.p90[0] - out.median[0], np.quantile(errors, 0.9))
    assert np.isnan(out.p10[1]).all() and np.isnan(out.p90[2]).all()             # no backtest week: no band


def test_the_seasonal_trend_forecasts_series_of_three_weeks_and_their_backtests():
    history = growing(4, 0.02, noise=0.02)
    out = SeasonalTrend().forecast(batch_of(history, history[-(2 * WEEK + 50):], history[-100:]))
    assert out.median.shape == (5, WEEK) and out.method == ["seasonal_trend"] * 5   # rows 3, 4: backtests
    np.testing.assert_allclose(out.median[0], seasonal_trend(history[None])[0], rtol=1e-12)
    np.testing.assert_allclose(out.median[3], seasonal_trend(history[None, :-WEEK])[0], rtol=1e-12)
    for row in (1, 2, 4):                                          # under three weeks: no forecast at all
        assert np.isnan(out.median[row]).all() and np.isnan(out.p90[row]).all()
    assert np.all(out.p10[0] <= out.median[0]) and np.all(out.median[0] <= out.p90[0])
    assert np.any(out.p10[0] < out.p90[0]) and np.isnan(out.p10[3]).all()         # the band: forecast rows only
