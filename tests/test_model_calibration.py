"""Backtest scoring (models.scoring), band calibration and the optional seasonal-naive fallback."""
from __future__ import annotations

import numpy as np
import pytest

from models.notes import Note
from models.scoring import BAND_SCALE_RANGE, band_scale, mase, naive_scale, seasonal_naive
from models.selector import fade_shares, week_change
from models.serving_config import ServingConfig, ServingConfigError
from tests.test_model_networks import START, forecaster_for, untrained

WEEKS = 5
PERIODIC = np.tile(100 + 60 * np.sin(2 * np.pi * np.arange(168) / 24) + np.arange(168) % 7, WEEKS)


def test_band_scale_matches_the_share_of_actuals_to_cover():
    rng = np.random.default_rng(0)
    p50 = np.full(1000, 10.0)
    actual = p50 + rng.normal(0, 1.0, 1000)
    k = band_scale(actual, p50 - 1.0, p50, p50 + 1.0)
    assert k == pytest.approx(1.2816, rel=0.1)                    # the normal's 10-90% half-width
    assert band_scale(p50 + rng.normal(0, 100, 1000), p50 - 1, p50, p50 + 1) == BAND_SCALE_RANGE[1]
    assert band_scale(p50, p50 - 1, p50, p50 + 1) == BAND_SCALE_RANGE[0]


def test_calibration_widens_on_a_noisy_series_and_narrows_on_a_smooth_one():
    fc = forecaster_for(untrained(seed=0))                        # median = seasonal naive, fixed raw band
    noisy = PERIODIC * np.random.default_rng(1).lognormal(0, 0.6, PERIODIC.size)
    out_noisy, out_smooth = fc.forecast([noisy, PERIODIC], [START, START], 168)
    assert out_noisy.backtest["band_scale"] > 1 > out_smooth.backtest["band_scale"]
    raw = fc.network.predict(np.stack([noisy[-672:], PERIODIC[-672:]]), np.array([0, 0]))
    assert np.mean(out_noisy.p90 - out_noisy.p10) > np.mean(raw[0, :, 2] - raw[0, :, 0])
    assert np.mean(out_smooth.p90 - out_smooth.p10) < np.mean(raw[1, :, 2] - raw[1, :, 0])


def test_backtest_scores_the_last_week_against_weekly_naive():
    fc = forecaster_for(untrained(seed=0, median_shift=0.2))
    history = PERIODIC * (1 + 0.05 * np.random.default_rng(2).standard_normal(PERIODIC.size))
    report = fc.forecast([history], [START], 24)[0].backtest
    before, actual = history[:-168], history[-168:]
    assert report["mase_seasonal_naive"] == pytest.approx(mase(actual, seasonal_naive(before, 168), naive_scale(before)))
    assert report["mase_model"] > report["mase_seasonal_naive"]   # a network that adds 20% loses


def test_fallback_serves_seasonal_naive_when_the_network_lost_and_only_when_asked():
    fooled = untrained(seed=0, median_shift=0.3)                  # always 30% of the mean too high
    default = forecaster_for(fooled).forecast([PERIODIC], [START], 168)[0]
    assert default.method == "attention_bilstm"
    guarded = forecaster_for(fooled, fallback_to_seasonal_naive=True).forecast([PERIODIC], [START], 168)[0]
    assert guarded.method == "seasonal_naive"
    np.testing.assert_allclose(guarded.median, PERIODIC[-168:])
    assert Note("seasonal_naive_served") in guarded.notes


def test_fade_shares_hold_naive_then_fade_linearly_into_the_network():
    shares = fade_shares((24, 72))
    assert shares.shape == (168,) and np.all(shares[:24] == 1) and np.all(shares[71:] == 0)
    assert shares[47] == pytest.approx(0.5) and np.all(np.diff(shares) <= 0)
    assert np.all(fade_shares((168, 168)) == 1)
    assert np.array_equal(fade_shares((24, 24)), np.arange(1, 169) <= 24)
    for bad in ((0, 10), (72, 24), (24, 169)):                    # the config refuses what fade_shares cannot use
        with pytest.raises(ServingConfigError, match="fallback_fade_hours"):
            ServingConfig(fallback_fade_hours=bad)


def test_a_fading_fallback_serves_naive_first_and_the_network_from_the_fade_end():
    fooled = untrained(seed=0, median_shift=0.3)
    network = forecaster_for(fooled).forecast([PERIODIC], [START], 168)[0]
    faded = forecaster_for(fooled, fallback_to_seasonal_naive=True, fallback_fade_hours=(24, 72))
    week, day = faded.forecast([PERIODIC, PERIODIC], [START, START], [168, 24])
    naive = PERIODIC[-168:]
    assert week.method == "seasonal_naive_then_attention_bilstm" and day.method == "seasonal_naive"
    assert Note("seasonal_naive_then_network", {"full": 24, "end": 72}) in week.notes
    assert Note("seasonal_naive_served") in day.notes             # every requested hour is naive's
    np.testing.assert_allclose(week.median[:24], naive[:24])
    np.testing.assert_allclose(day.median, naive[:24])
    np.testing.assert_allclose(week.median[71:], network.median[71:])
    np.testing.assert_allclose(week.p90[71:], network.p90[71:])
    middle = slice(24, 71)                                        # hours 25..71 lie between the two
    low, high = np.minimum(naive, network.median)[middle], np.maximum(naive, network.median)[middle]
    assert np.all(week.median[middle] >= low - 1e-9) and np.all(week.median[middle] <= high + 1e-9)
    assert np.all(week.p10 <= week.median) and np.all(week.median <= week.p90)
    assert faded.info["serving"]["fallback_fade_hours"] == [24, 72]


def test_week_change_is_the_last_weeks_mean_absolute_change_as_a_share_of_its_mean():
    assert week_change(PERIODIC) == 0.0
    halved = np.concatenate([PERIODIC[:-168], PERIODIC[-168:] * 0.5])
    assert week_change(halved) == pytest.approx(1.0)              # changed by 0.5x, the new mean is 0.5x
    assert week_change(np.concatenate([PERIODIC[:-168], np.zeros(168)])) > 1e6
    assert week_change(np.zeros(400)) == 0.0


def test_a_week_change_limit_keeps_the_network_on_series_whose_weeks_do_not_repeat():
    fooled = untrained(seed=0, median_shift=0.3)                  # loses to naive on both series below
    shifted = np.concatenate([PERIODIC[:-168], PERIODIC[-168:] * 0.6])   # the last week dropped by 40%
    limited = forecaster_for(fooled, fallback_to_seasonal_naive=True, fallback_max_week_change=0.2)
    regular, irregular = limited.forecast([PERIODIC, shifted], [START, START], 168)
    assert regular.method == "seasonal_naive"                     # weeks repeat: the fallback serves
    assert irregular.backtest["mase_model"] > irregular.backtest["mase_seasonal_naive"]
    assert irregular.method == "attention_bilstm"
    refusal, = [note for note in irregular.notes if note.code == "fallback_refused_irregular_weeks"]
    assert refusal.values == {"change": pytest.approx(2 / 3), "limit": 0.2}
    assert "by 67% of its mean" in str(refusal)
    unlimited = forecaster_for(fooled, fallback_to_seasonal_naive=True).forecast([shifted], [START], 168)[0]
    assert unlimited.method == "seasonal_naive"
    assert limited.info["serving"]["fallback_max_week_change"] == 0.2


@pytest.mark.parametrize("option", ["fallback_max_week_change", "clean_days_threshold"])
def test_a_share_option_is_off_at_none_and_refuses_what_is_not_a_positive_share(option):
    model = untrained(seed=0)
    assert forecaster_for(model, **{option: 0.25}).info["serving"][option] == 0.25
    assert forecaster_for(model, **{option: None}).info["serving"][option] is None
    for bad in (0, -0.1, -1, float("nan"), float("inf"), True, "0.2"):   # infinity no longer means off
        with pytest.raises(ServingConfigError, match=option):
            forecaster_for(model, **{option: bad})


def test_fallback_keeps_the_network_when_it_did_not_lose():
    fc = forecaster_for(untrained(seed=0), fallback_to_seasonal_naive=True)   # ties with seasonal naive
    out = fc.forecast([PERIODIC * 1.01 ** np.arange(PERIODIC.size) ** 0.5], [START], 168)[0]
    assert out.backtest["mase_model"] == pytest.approx(out.backtest["mase_seasonal_naive"], rel=1e-5)
    assert out.method == "attention_bilstm"
