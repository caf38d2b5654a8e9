"""The seasonal-trend forecast and the serving option that lets it serve where the level moves."""
from __future__ import annotations

import numpy as np
import pytest

from models.features import CONTEXT_WEEKS
from models.forecasters.seasonal_trend import (TREND_DAMPING, seasonal_trend, seasonal_trend_backtested,
                                               seasonal_trend_pairs)
from models.notes import Note
from models.scoring import mase, naive_scale
from models.serving_config import ServingConfig, ServingConfigError
from tests.test_model_calibration import PERIODIC
from tests.test_model_networks import START, forecaster_for, untrained

WEEK = 168
SHAPE = PERIODIC[:WEEK] * np.where(np.arange(WEEK) // 24 >= 5, 0.6, 1.0)   # a daily cycle and a weekend dip


def growing(weeks: int, per_day: float, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """``weeks`` weeks of SHAPE whose level grows by ``per_day`` (log) every day, with lognormal noise."""
    hours = np.arange(weeks * WEEK)
    rng = np.random.default_rng(seed)
    return np.tile(SHAPE, weeks) * np.exp(per_day * hours / 24 + noise * rng.standard_normal(hours.size))


def test_weeks_that_repeat_forecast_the_next_week():
    np.testing.assert_allclose(seasonal_trend(np.tile(SHAPE, 4)[None])[0], SHAPE, rtol=1e-9)


@pytest.mark.parametrize("per_day", [0.02, -0.02])
def test_a_steady_growth_is_followed_where_weekly_naive_lags_a_week(per_day):
    history, future = np.split(growing(5, per_day), [4 * WEEK])
    forecast = seasonal_trend(history[None])[0]
    scale = naive_scale(history)
    assert mase(future, forecast, scale) < 0.2 * mase(future, history[-WEEK:], scale)
    assert (forecast[-24:].mean() > history[-24:].mean()) == (per_day > 0)


def daily_growth(per_day: float, weeks: int = 4) -> np.ndarray:
    """A pure daily cycle growing by ``per_day`` (log) a day: its centred ratios repeat every day exactly."""
    hours = np.arange(weeks * WEEK)
    return (100 + 60 * np.cos(2 * np.pi * hours / 24)) * np.exp(per_day * hours / 24)


def test_the_trend_is_the_weekly_growth_damped_by_day():
    forecast = seasonal_trend(daily_growth(0.05)[None])[0]
    damped = TREND_DAMPING * (1 - TREND_DAMPING ** np.array([1.0, 7.0])) / (1 - TREND_DAMPING)   # days 1 and 7
    assert forecast[167] / forecast[23] == pytest.approx(np.exp(0.05 * (damped[1] - damped[0])), rel=1e-9)
    assert forecast[167] / forecast[23] < np.exp(0.05 * 6)        # less than six undamped days of growth


def test_the_trend_factor_is_bounded():
    forecast = seasonal_trend(daily_growth(0.5)[None])[0]          # 65% a day
    assert forecast[24] > forecast[0] * 1.1                       # it grows at first ...
    np.testing.assert_allclose(forecast[72:], forecast[48:-24], rtol=1e-9)   # ... and stops at the bound (e^1)


def test_a_history_times_c_forecasts_times_c():
    history = growing(4, 0.01, noise=0.1)
    np.testing.assert_allclose(seasonal_trend(1000 * history[None])[0], 1000 * seasonal_trend(history[None])[0],
                               rtol=1e-9)


AWKWARD = [                                                        # four weeks each
    ("zeros", np.zeros(4 * WEEK)),
    ("constant", np.full(4 * WEEK, 7.0)),
    ("spike", np.where(np.arange(4 * WEEK) == 500, 1e9, 1.0)),
    ("closed hours", np.where(np.arange(4 * WEEK) % 24 < 8, 0.0, np.tile(SHAPE, 4))),
    ("a dead first week", np.concatenate([np.zeros(WEEK), np.tile(SHAPE, 3)])),
    ("a dead last week", np.concatenate([np.tile(SHAPE, 3), np.zeros(WEEK)])),
]


@pytest.mark.parametrize("name, history", AWKWARD)
def test_awkward_histories_give_finite_non_negative_forecasts(name, history):
    forecast = seasonal_trend(history[None])[0]
    assert forecast.shape == (WEEK,) and np.all(np.isfinite(forecast)) and np.all(forecast >= 0)
    if name == "zeros":
        assert np.all(forecast == 0)
    if name == "constant":
        np.testing.assert_allclose(forecast, 7.0)


@pytest.mark.parametrize("weeks", [3, 4, 5])
def test_a_forecast_and_its_backtest_share_one_pass_and_equal_two(weeks):
    block = np.stack([growing(weeks, 0.01 * k, noise=0.1, seed=weeks + k) for k in range(3)])   # rows stay apart
    ahead, past = seasonal_trend_backtested(block)
    recent = min(weeks, CONTEXT_WEEKS)
    np.testing.assert_allclose(ahead, seasonal_trend(block[:, -recent * WEEK:]), rtol=1e-12)
    np.testing.assert_allclose(past, seasonal_trend(block[:, :-WEEK]), rtol=1e-12)


def test_histories_of_any_length_are_batched_by_the_weeks_they_use():
    long = growing(7, 0.01, noise=0.05, seed=1)
    histories = [long, long[:3 * WEEK + 5], long[:4 * WEEK], long[:5 * WEEK + 100]]
    ahead, past = seasonal_trend_pairs(histories)
    for history, row, back in zip(histories, ahead, past):
        weeks = min(len(history) // WEEK, CONTEXT_WEEKS + 1)
        expected = seasonal_trend_backtested(history[-weeks * WEEK:][None])
        np.testing.assert_allclose(row, expected[0][0], rtol=1e-12)   # batched or not: only rounding differs
        np.testing.assert_allclose(back, expected[1][0], rtol=1e-12)
    with pytest.raises(ValueError, match="at least 504 hours"):
        seasonal_trend_pairs([long[:500]])
    with pytest.raises(ValueError, match="whole weeks"):
        seasonal_trend(long[None, :400])
    with pytest.raises(ValueError, match="at least 2"):
        seasonal_trend(long[None, :WEEK])


def test_the_option_serves_the_seasonal_trend_where_it_won_its_backtest_by_the_margin():
    history = growing(5, 0.02, noise=0.02)                        # the untrained network forecasts weekly naive
    plain = forecaster_for(untrained(seed=0)).forecast([history], [START], 168)[0]
    assert plain.method == "attention_bilstm" and "mase_seasonal_trend" not in plain.backtest
    served = forecaster_for(untrained(seed=0), seasonal_trend_margin=0.2).forecast([history], [START], 168)[0]
    assert served.method == "seasonal_trend"
    report = served.backtest
    assert report["mase_seasonal_trend"] < 0.8 * min(report["mase_model"], report["mase_seasonal_naive"])
    np.testing.assert_allclose(served.median, seasonal_trend(history[-4 * WEEK:][None])[0])
    assert np.all(served.p10 <= served.median) and np.all(served.median <= served.p90)
    assert np.all(served.p10 < served.p90)
    assert Note("seasonal_trend_served", {"margin": 0.2, "mase_trend": report["mase_seasonal_trend"],
                                          "mase_model": report["mase_model"],
                                          "mase_naive": report["mase_seasonal_naive"]}) in served.notes
    shorter = forecaster_for(untrained(seed=0), seasonal_trend_margin=0.2).forecast([history], [START], 24)[0]
    np.testing.assert_array_equal(shorter.median, served.median[:24])


def test_the_option_keeps_the_network_where_weeks_repeat_or_the_history_is_short():
    fc = forecaster_for(untrained(seed=0), seasonal_trend_margin=0.0)
    regular, short = fc.forecast([PERIODIC, growing(3, 0.02)[:2 * WEEK + 10]], [START, START], 168)
    assert regular.method == "attention_bilstm"                   # naive is exact: nothing beats it
    assert regular.backtest["mase_seasonal_trend"] >= regular.backtest["mase_seasonal_naive"]
    assert short.backtest is not None and "mase_seasonal_trend" not in short.backtest   # under 3 weeks
    assert fc.info["serving"]["seasonal_trend_margin"] == 0.0


def test_a_margin_is_a_share_below_one_and_none_switches_it_off():
    assert ServingConfig(seasonal_trend_margin=None).seasonal_trend_margin is None
    assert ServingConfig(seasonal_trend_margin=0).seasonal_trend_margin == 0.0
    assert ServingConfig(seasonal_trend_margin=0.2).seasonal_trend_margin == 0.2
    for bad in (-0.1, 1.0, 5, float("nan"), float("inf"), True):   # infinity no longer means off
        with pytest.raises(ServingConfigError, match="seasonal_trend_margin"):
            ServingConfig(seasonal_trend_margin=bad)
    off = forecaster_for(untrained(seed=0), seasonal_trend_margin=None)
    assert off.info["serving"]["seasonal_trend_margin"] is None

