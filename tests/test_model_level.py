"""Persistent day levels: the correction and the serving option that applies it where the network serves."""
from __future__ import annotations

import numpy as np
import pytest

from models.features import CONTEXT_WEEKS
from models.forecasters.seasonal_trend import seasonal_trend
from experiments.generator import ar1_path
from models.serving_config import ServingConfig, ServingConfigError
from models.transforms.persistent_level import (MIN_WEEKS, OUTLIER_SPREADS, PERSISTENCE_CAP, day_departures,
                                                level_correction, level_corrections, persistence)
from tests.test_model_calibration import PERIODIC
from tests.test_model_networks import START, forecaster_for, untrained
from tests.test_model_seasonal import AWKWARD, SHAPE, growing

WEEK, DAY = 168, 24


def day_levels(days: int, phi: float, sd: float, seed: int = 0) -> np.ndarray:
    """[days] log day levels: AR(1) with coefficient ``phi`` and innovations of ``sd``."""
    return ar1_path(np.random.default_rng(seed).normal(0.0, sd, days), phi)


def with_levels(levels: np.ndarray, noise: float = 0.01, seed: int = 1) -> np.ndarray:
    """SHAPE's weeks, each day scaled by exp(its level), with a little hourly noise."""
    rng = np.random.default_rng(seed)
    weeks = len(levels) // 7
    return np.tile(SHAPE, weeks) * np.repeat(np.exp(levels), DAY) * np.exp(noise * rng.standard_normal(weeks * WEEK))


def test_weeks_that_repeat_leave_the_forecast_alone():
    rows = PERIODIC[None, :4 * WEEK]
    fix = level_correction(rows, rows[:, -WEEK:] * 1.07, floor=0.0)
    assert fix.persistence[0] == 0.0 and fix.share[0] == 0.0
    np.testing.assert_array_equal(fix.factors, 1.0)


def test_lasting_departures_persist_and_passing_ones_do_not():
    lasting = day_departures(with_levels(day_levels(28, 0.9, 0.08))[None])[0]
    passing = day_departures(with_levels(day_levels(28, 0.0, 0.08))[None])[0]
    assert persistence(lasting)[0] > 0.5
    assert persistence(passing)[0] < 0.3


def test_a_holiday_as_the_last_day_is_clipped_not_carried():
    history = with_levels(np.zeros(28), noise=0.01)
    history[-DAY:] *= 0.5                                          # a holiday, the last day
    departures, usual, spread = day_departures(history[None])
    assert spread[0] == pytest.approx(1.4826 * np.median(np.abs(departures[0, :-1] - np.median(departures[0, :-1]))))
    assert abs(departures[0, -1]) <= OUTLIER_SPREADS * spread[0] + 1e-12 < 0.1
    usual_week = SHAPE * usual.sum() / SHAPE.sum()                # a forecast at the usual level
    fix = level_correction(history[None], usual_week[None], floor=0.0)
    assert np.all(np.abs(np.log(fix.factors)) < 0.1)


def test_day_totals_move_the_share_of_the_way_to_the_carried_departure():
    history = with_levels(day_levels(28, 0.9, 0.08, seed=3))
    forecast = history[-WEEK:].copy()                              # weekly naive as the forecast
    fix = level_correction(history[None], forecast[None], floor=0.0)
    departures, usual, _ = day_departures(history[None])
    phi, share = fix.persistence[0], fix.share[0]
    assert 0 < phi <= PERSISTENCE_CAP and share == pytest.approx(phi)
    own = np.log(forecast.reshape(7, DAY).sum(axis=1) / usual[0])
    carried = phi ** np.arange(1, 8) * departures[0, -1]
    moved = np.log((forecast * fix.factors[0]).reshape(7, DAY).sum(axis=1) / usual[0])
    np.testing.assert_allclose(moved, own + share * (carried - own), rtol=1e-9, atol=1e-12)
    by_day = fix.factors[0].reshape(7, DAY)                       # one factor a day: the hours keep their shape
    np.testing.assert_array_equal(by_day, np.repeat(by_day[:, :1], DAY, axis=1))


def test_the_floor_sets_where_the_share_starts():
    history = with_levels(day_levels(28, 0.9, 0.08, seed=3))[None]
    phi = level_correction(history, history[:, -WEEK:], floor=0.0).persistence[0]
    assert level_correction(history, history[:, -WEEK:], floor=min(phi + 0.01, 0.99)).share[0] == 0.0
    half = level_correction(history, history[:, -WEEK:], floor=phi / 2).share[0]
    assert half == pytest.approx((phi - phi / 2) / (1 - phi / 2))


def test_a_history_times_c_gives_the_same_factors():
    history = with_levels(day_levels(28, 0.9, 0.08, seed=5))[None]
    forecast = history[:, -WEEK:] * 1.03
    one = level_correction(history, forecast, floor=0.2)
    big = level_correction(1000 * history, 1000 * forecast, floor=0.2)
    np.testing.assert_allclose(big.factors, one.factors, rtol=1e-9)


@pytest.mark.parametrize("name, history", AWKWARD + [
    ("a dead last day", np.concatenate([np.tile(SHAPE, 4)[:-DAY], np.zeros(DAY)])),
])
def test_awkward_histories_give_finite_positive_factors(name, history):
    for forecast in (history[-WEEK:], np.zeros(WEEK), np.full(WEEK, 3.0)):
        fix = level_correction(history[None], forecast[None], floor=0.0)
        assert np.all(np.isfinite(fix.factors)) and np.all(fix.factors > 0)
        assert np.isfinite(fix.persistence[0]) and 0 <= fix.share[0] <= 1


def test_histories_are_batched_by_the_weeks_they_use_and_short_ones_left_out():
    long = with_levels(day_levels(42, 0.9, 0.08, seed=7))
    histories = [long, long[:3 * WEEK + 5], long[:4 * WEEK], long[:2 * WEEK + 100]]
    forecasts = np.stack([h[-WEEK:] for h in histories])
    fixes = level_corrections(histories, forecasts, floor=0.1)
    assert sorted(fixes) == [0, 1, 2]                              # under MIN_WEEKS whole weeks: none
    for i in fixes:
        weeks = min(len(histories[i]) // WEEK, CONTEXT_WEEKS)
        alone = level_correction(histories[i][-weeks * WEEK:][None], forecasts[i][None], floor=0.1)
        np.testing.assert_allclose(fixes[i].factors, alone.factors[0], rtol=1e-12)
    with pytest.raises(ValueError, match=f"at least {MIN_WEEKS}"):
        level_correction(long[None, :2 * WEEK], forecasts[:1], floor=0.0)
    with pytest.raises(ValueError, match=r"forecasts \[N, 168\]"):
        level_correction(long[None, :3 * WEEK], forecasts[:1, :24], floor=0.0)


def test_the_option_follows_a_lasting_level_where_the_network_serves():
    history = with_levels(day_levels(35, 0.95, 0.08, seed=11))   # a level that wanders for days on end
    plain = forecaster_for(untrained(seed=0)).forecast([history], [START], 168)[0]
    assert "level_persistence" not in plain.backtest
    fc = forecaster_for(untrained(seed=0), level_persistence_floor=0.0)
    served = fc.forecast([history], [START], 168)[0]
    assert fc.info["serving"]["level_persistence_floor"] == 0.0
    assert served.method == plain.method == "attention_bilstm"
    assert served.backtest["level_persistence"] > 0.5
    fix = level_corrections([history], plain.median[None], 0.0)[0]
    np.testing.assert_allclose(served.median, plain.median * fix.factors, rtol=1e-12)
    np.testing.assert_allclose(served.p90, plain.p90 * fix.factors, rtol=1e-12)
    departures, usual, _ = day_departures(history[-CONTEXT_WEEKS * WEEK:][None])   # day 1 now departs from
    carried = fix.persistence * departures[0, -1]                  # nearer the way the last day did
    before, after = (np.log(q[:DAY].sum() / usual[0, 0]) for q in (plain.median, served.median))
    assert abs(carried) > 0.05 and abs(after - carried) < 0.5 * abs(before - carried)
    assert np.all(served.p10 <= served.median) and np.all(served.median <= served.p90)
    followed, = [note for note in served.notes if note.code == "level_followed"]
    assert followed.values == pytest.approx({"persistence": fix.persistence, "departure": fix.last_departure,
                                             "share": fix.share, "day_one": fix.factors[0] - 1})
    shorter = fc.forecast([history], [START], 24)[0]
    np.testing.assert_array_equal(shorter.median, served.median[:24])


def test_the_option_leaves_the_seasonal_trend_and_weekly_naive_alone():
    growth = growing(5, 0.02, noise=0.02)
    trend = forecaster_for(untrained(seed=0), seasonal_trend_margin=0.2,
                           level_persistence_floor=0.0).forecast([growth], [START], 168)[0]
    assert trend.method == "seasonal_trend"
    np.testing.assert_allclose(trend.median, seasonal_trend(growth[-4 * WEEK:][None])[0])
    regular = np.tile(SHAPE, 5) * np.exp(0.002 * np.random.default_rng(2).standard_normal(5 * WEEK))
    falls_back = forecaster_for(untrained(seed=0, median_shift=0.3), fallback_to_seasonal_naive=True,
                                fallback_fade_hours=(24, 72), level_persistence_floor=0.0)
    naive = falls_back.forecast([regular], [START], 24)[0]
    assert naive.method == "seasonal_naive"
    np.testing.assert_array_equal(naive.median, regular[-WEEK:][:24])


def test_a_floor_is_a_share_below_one_and_none_switches_it_off():
    assert ServingConfig(level_persistence_floor=0.3).level_persistence_floor == 0.3
    for bad in (1.0, float("inf")):                               # infinity no longer means off
        with pytest.raises(ServingConfigError, match="level_persistence_floor"):
            ServingConfig(level_persistence_floor=bad)
    with pytest.raises(ServingConfigError, match="level_persistence_floor"):
        forecaster_for(untrained(seed=0), level_persistence_floor=-0.1)
    off = forecaster_for(untrained(seed=0), level_persistence_floor=None)
    assert off.info["serving"]["level_persistence_floor"] is None



def test_the_spread_says_how_far_day_levels_wander_and_floor_none_corrects_nothing():
    wandering = with_levels(day_levels(28, 0.9, 0.08))
    steady = with_levels(np.zeros(28), noise=0.01)
    measured = level_correction(np.stack([wandering, steady]), np.stack([wandering, steady])[:, -WEEK:], floor=None)
    assert measured.spread[0] > 0.03 > 0.01 > measured.spread[1]
    assert measured.persistence[0] > 0.5
    np.testing.assert_array_equal(measured.share, 0.0)
    np.testing.assert_array_equal(measured.factors, 1.0)


def test_the_fallback_gate_keeps_a_stale_week_from_serving_a_wandering_lasting_level():
    wandering = with_levels(day_levels(35, 0.95, 0.08, seed=11))
    regular = np.tile(SHAPE, 5) * np.exp(0.002 * np.random.default_rng(2).standard_normal(5 * WEEK))
    options = dict(fallback_to_seasonal_naive=True, fallback_fade_hours=(24, 72))   # a network that loses
    ungated = forecaster_for(untrained(seed=0, median_shift=0.3), **options)
    gated = forecaster_for(untrained(seed=0, median_shift=0.3), fallback_level_gate=(0.5, 0.03), **options)
    assert gated.info["serving"]["fallback_level_gate"] == [0.5, 0.03]
    assert ungated.info["serving"]["fallback_level_gate"] is None
    before = ungated.forecast([wandering, regular], [START, START], 168)
    after = gated.forecast([wandering, regular], [START, START], 168)
    assert [o.method for o in before] == ["seasonal_naive_then_attention_bilstm"] * 2
    assert [o.method for o in after] == ["attention_bilstm", "seasonal_naive_then_attention_bilstm"]
    assert after[0].backtest["level_persistence"] > 0.5 and after[0].backtest["level_spread"] > 0.03
    assert after[1].backtest["level_spread"] < 0.03                  # weeks that repeat: weekly naive still serves
    refusal, = [note for note in after[0].notes if note.code == "fallback_refused_level_wanders"]
    assert refusal.values == {"spread": after[0].backtest["level_spread"],
                              "persistence": after[0].backtest["level_persistence"],
                              "gate_persistence": 0.5, "gate_spread": 0.03}
    np.testing.assert_array_equal(after[1].median, before[1].median)
    network = forecaster_for(untrained(seed=0, median_shift=0.3)).forecast([wandering], [START], 168)[0]
    np.testing.assert_allclose(after[0].median, network.median, rtol=1e-12)   # the network's own forecast
    corrected = forecaster_for(untrained(seed=0, median_shift=0.3), fallback_level_gate=(0.5, 0.03),
                               level_persistence_floor=0.0, **options).forecast([wandering], [START], 168)[0]
    fix = level_corrections([wandering], network.median[None], 0.0)[0]
    np.testing.assert_allclose(corrected.median, network.median * fix.factors, rtol=1e-12)   # and its level follows


def test_a_gate_is_a_persistence_below_one_and_a_positive_spread():
    def gate(value):
        return ServingConfig(fallback_level_gate=value).fallback_level_gate

    assert gate((0.5, 0.03)) == (0.5, 0.03) and gate([0, 1]) == (0.0, 1.0) and gate(None) is None
    for bad in ((1.0, 0.03), (-0.1, 0.03), (0.5, 0.0), (0.5,), "x", 0.5, float("inf")):   # inf is not off
        with pytest.raises(ServingConfigError, match="fallback_level_gate"):
            gate(bad)
    with pytest.raises(ServingConfigError, match="fallback_level_gate"):
        forecaster_for(untrained(seed=0), fallback_level_gate=(0.5, -1))
