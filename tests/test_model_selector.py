"""Each selector rule on a report dict built by hand: which forecast serves a series, and the note that says why."""
from __future__ import annotations

import numpy as np
import pytest

from models.features import WEEK
from models.notes import Note
from models.selector import FLOAT32_NOISE, NAIVE, NETWORK, TREND, Choice, Selector
from models.serving_config import ServingConfig
from models.transforms.persistent_level import LevelCorrection
from tests.test_model_calibration import PERIODIC

LOST = {"mase_model": 1.2, "mase_seasonal_naive": 1.0}            # the network lost its backtest week
FALLBACK = ServingConfig(fallback_to_seasonal_naive=True)


def choose(config: ServingConfig, report: dict, values: np.ndarray = PERIODIC,
           level: LevelCorrection | None = None) -> Choice:
    return Selector(config).choose(values, report, level)


def level(persistence: float, spread: float) -> LevelCorrection:
    return LevelCorrection(np.ones(WEEK), np.float64(0.0), np.float64(persistence), np.float64(0.1),
                           np.float64(spread))


def test_the_seasonal_trend_serves_where_it_beats_both_by_the_margin():
    config = ServingConfig(seasonal_trend_margin=0.2, fallback_to_seasonal_naive=True)
    won = {**LOST, "mase_seasonal_trend": 0.7}                     # 0.7 < 0.8 x min(1.2, 1.0)
    assert choose(config, won) == Choice(TREND, [Note("seasonal_trend_served", {
        "margin": 0.2, "mase_trend": 0.7, "mase_model": 1.2, "mase_naive": 1.0})])   # before the fallback
    assert choose(config, {**LOST, "mase_seasonal_trend": 0.85}).source == NAIVE   # within the margin
    assert choose(config, LOST).source == NAIVE                    # no trend score (under three weeks)
    assert choose(FALLBACK, won).source == NAIVE                   # the margin off: never the trend


def test_weekly_naive_serves_where_the_network_lost_and_only_when_asked():
    assert choose(FALLBACK, LOST) == Choice(NAIVE)
    assert choose(ServingConfig(), LOST) == Choice(NETWORK)
    assert choose(FALLBACK, {"mase_model": 0.9, "mase_seasonal_naive": 1.0}) == Choice(NETWORK)
    tie = {"mase_model": 1.0 + 0.5 * FLOAT32_NOISE, "mase_seasonal_naive": 1.0}   # lost by float32 rounding only
    assert choose(FALLBACK, tie) == Choice(NETWORK)


def test_the_fade_shares_mix_naive_into_the_network_hour_by_hour():
    selector = Selector(ServingConfig(fallback_to_seasonal_naive=True, fallback_fade_hours=(24, 72)))
    naive, network = np.full(WEEK, 10.0), np.full(WEEK, 20.0)
    median, p90 = selector.mix((naive, naive + 1), (network, network + 5))
    np.testing.assert_array_equal(median[:24], 10.0)               # hours 1..24: naive's
    np.testing.assert_array_equal(median[71:], 20.0)               # from hour 72: the network's
    assert median[47] == pytest.approx(15.0) and np.all(np.diff(median) >= 0)
    np.testing.assert_array_equal(p90[71:], 25.0)
    assert selector.naive_notes(24) == ("seasonal_naive", Note("seasonal_naive_served"))
    assert selector.naive_notes(25) == ("seasonal_naive_then_attention_bilstm",
                                        Note("seasonal_naive_then_network", {"full": 24, "end": 72}))
    whole_week = Selector(FALLBACK)
    np.testing.assert_array_equal(whole_week.mix((naive,), (network,))[0], naive)
    assert whole_week.naive_notes(168)[0] == "seasonal_naive"


def test_the_week_change_limit_keeps_the_network_where_weeks_do_not_repeat():
    config = FALLBACK.replace(fallback_max_week_change=0.2)
    shifted = np.concatenate([PERIODIC[:-WEEK], PERIODIC[-WEEK:] * 0.6])   # the last week 40% down
    assert choose(config, LOST, shifted) == Choice(NETWORK, [Note("fallback_refused_irregular_weeks", {
        "change": pytest.approx(2 / 3), "limit": 0.2})])
    assert choose(config, LOST, PERIODIC) == Choice(NAIVE)         # weeks that repeat: the fallback serves
    assert choose(FALLBACK, LOST, shifted) == Choice(NAIVE)        # no limit
    assert choose(config.replace(fallback_max_week_change=0.7), LOST, shifted) == Choice(NAIVE)


@pytest.mark.parametrize("persistence, spread, refused", [
    (0.9, 0.05, True), (0.4, 0.05, False), (0.9, 0.02, False), (0.5, 0.05, False)])   # both above, strictly
def test_the_level_gate_keeps_the_network_where_the_day_level_lasts_and_wanders(persistence, spread, refused):
    config = FALLBACK.replace(fallback_level_gate=(0.5, 0.03))
    choice = choose(config, LOST, level=level(persistence, spread))
    if refused:
        assert choice == Choice(NETWORK, [Note("fallback_refused_level_wanders", {
            "spread": spread, "persistence": persistence, "gate_persistence": 0.5, "gate_spread": 0.03})])
    else:
        assert choice == Choice(NAIVE)
    assert choose(FALLBACK, LOST, level=level(persistence, spread)) == Choice(NAIVE)   # no gate
    assert choose(config, LOST, level=None) == Choice(NAIVE)       # unmeasured (under three weeks)
