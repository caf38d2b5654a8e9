"""Serving contract: shapes, order, determinism, scale, awkward histories, backtests, info."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from models.notes import Note
from models.serving import ForecastInputError, ModelNotLoaded, load_forecaster
from tests.test_model_networks import START, random_forecaster  # noqa: F401  (fixture)


def _weekly(hours: int, seed: int = 0, level: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    shape = 1 + 0.6 * np.sin(2 * np.pi * t / 24) + 0.2 * np.sin(2 * np.pi * t / 168)
    return level * shape * rng.lognormal(0, 0.1, hours)


def _check(out, hours):
    for arr in (out.median, out.p10, out.p90):
        assert arr.shape == (hours,) and arr.dtype == np.float64
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
    assert np.all(out.p10 <= out.median) and np.all(out.median <= out.p90)


def test_shapes_order_and_per_series_horizons(random_forecaster):
    histories = [_weekly(n, seed=n) for n in (30, 300, 700, 1000)]
    outs = random_forecaster.forecast(histories, [START] * 4, [1, 24, 100, 168])
    assert [len(o.median) for o in outs] == [1, 24, 100, 168]
    for out, hours in zip(outs, (1, 24, 100, 168)):
        _check(out, hours)
        assert out.method == "attention_bilstm"
    assert [o.history_hours for o in outs] == [30, 300, 700, 1000]
    assert [o.padded_hours for o in outs] == [642, 372, 0, 0]


def test_shorter_horizon_is_a_slice_of_the_week(random_forecaster):
    history = _weekly(800)
    week = random_forecaster.forecast([history], [START], 168)[0]
    day = random_forecaster.forecast([history], [START], 24)[0]
    np.testing.assert_array_equal(day.median, week.median[:24])
    np.testing.assert_array_equal(day.p90, week.p90[:24])


def test_deterministic_and_independent_of_batch_companions(random_forecaster):
    history = _weekly(700, seed=5)
    alone = random_forecaster.forecast([history], [START], 168)[0]
    again = random_forecaster.forecast([history], [START], 168)[0]
    batched = random_forecaster.forecast([_weekly(900, seed=6), history], [START, START], 168)[1]
    np.testing.assert_array_equal(alone.median, again.median)
    np.testing.assert_allclose(alone.median, batched.median, rtol=1e-5)


def test_a_repeated_series_is_forecast_once_and_answers_each_request(random_forecaster, monkeypatch):
    a, b = _weekly(700, seed=5), _weekly(900, seed=6)
    later = START + dt.timedelta(hours=1)
    expected = {hours: random_forecaster.forecast([a], [START], hours)[0] for hours in (24, 168)}
    engine, rows = random_forecaster.network, []
    predict = engine.predict
    monkeypatch.setattr(engine, "predict", lambda contexts, lasts: rows.append(len(contexts)) or predict(contexts, lasts))
    c = _weekly(400, seed=7)                                      # under 3 weeks: no level correction copies it
    outs = random_forecaster.forecast([a, b, a.copy(), a, a, c, c], [START] * 4 + [later, START, START],
                                      [168, 168, 168, 24, 168, 168, 168])
    assert rows == [8]                  # a at START, b, a an hour later and c: each with its backtest
    for out, hours in zip(outs[0:4:2] + [outs[3]], (168, 168, 24)):
        np.testing.assert_allclose(out.median, expected[hours].median, rtol=1e-5)
        np.testing.assert_allclose(out.p90, expected[hours].p90, rtol=1e-5)
        assert out.backtest == pytest.approx(expected[hours].backtest, rel=1e-5)
    assert len(outs[3].median) == 24 and not np.array_equal(outs[4].median, outs[0].median)   # the hour counts
    for one, other in ((outs[0], outs[2]), (outs[5], outs[6])):   # each request owns its arrays
        np.testing.assert_array_equal(one.median, other.median)
        assert not any(np.shares_memory(x, y) for x in (one.median, one.p10, one.p90)
                       for y in (other.median, other.p10, other.p90))


@pytest.mark.parametrize("hours", [100, 700])
def test_scale_property(random_forecaster, hours):
    history = _weekly(hours, seed=2)
    small = random_forecaster.forecast([history], [START], 168)[0]
    large = random_forecaster.forecast([history * 1000], [START], 168)[0]
    for a, b in ((small.median, large.median), (small.p10, large.p10), (small.p90, large.p90)):
        np.testing.assert_allclose(b, a * 1000, rtol=1e-4, atol=1e-4 * 1000 * a.max())


def _awkward_histories():
    spike = np.zeros(700)
    spike[650] = 1e6
    gaps = _weekly(700)
    gaps[100:160] = 0
    gaps[690:] = 0
    closed = _weekly(700) * (np.arange(700) % 24 >= 8)
    return {"zeros": np.zeros(700), "constant": np.full(700, 42.0), "spike": spike, "gaps": gaps,
            "closed_hours": closed, "one_value": np.array([5.0]), "one_zero": np.array([0.0]),
            "short": _weekly(100), "just_under_two_weeks": _weekly(335), "tiny_values": _weekly(700) * 1e-9,
            "huge_values": _weekly(700) * 1e9}


@pytest.mark.parametrize("name", list(_awkward_histories()))
def test_awkward_histories_stay_finite_and_non_negative(random_forecaster, name):
    out = random_forecaster.forecast([_awkward_histories()[name]], [START], 168)[0]
    _check(out, 168)
    if out.backtest is not None:
        assert all(np.isfinite(v) for v in out.backtest.values())


def test_all_zero_history_forecasts_zero(random_forecaster):
    out = random_forecaster.forecast([np.zeros(800)], [START], 48)[0]
    assert not out.median.any() and not out.p90.any()


def test_negative_values_are_treated_as_zero(random_forecaster):
    history = _weekly(700)
    dipped = history.copy()
    dipped[10] = -5.0
    clipped = history.copy()
    clipped[10] = 0.0
    a, b = random_forecaster.forecast([dipped, clipped], [START, START], 24)
    np.testing.assert_allclose(a.median, b.median, rtol=1e-6)


def test_short_history_is_padded_and_says_so(random_forecaster):
    out = random_forecaster.forecast([_weekly(100)], [START], 24)[0]
    assert out.padded_hours == 572 and out.history_hours == 100
    assert out.backtest is None
    assert Note("padded_history", {"hours": 100, "context": 672, "padded": 572, "how": "profile"}) in out.notes
    assert Note("short_history", {"hours": 216}) in out.notes
    assert Note("no_backtest") in out.notes


def test_backtest_reported_from_two_weeks(random_forecaster):
    short, enough = random_forecaster.forecast([_weekly(335), _weekly(336)], [START] * 2, 24)
    assert short.backtest is None
    assert set(enough.backtest) == {"mase_model", "mase_seasonal_naive", "band_scale", "coverage", "hours"}
    assert enough.backtest["hours"] == 168 and 0 <= enough.backtest["coverage"] <= 1


def test_timestamps_drive_the_calendar_features(random_forecaster):
    history = _weekly(700)
    monday, thursday = random_forecaster.forecast([history, history], [START, START + dt.timedelta(days=3)], 24)
    assert not np.allclose(monday.median, thursday.median)
    aware = START.replace(tzinfo=dt.timezone.utc)
    naive_utc, = random_forecaster.forecast([history], [START], 24)
    np.testing.assert_array_equal(random_forecaster.forecast([history], [aware], 24)[0].median, naive_utc.median)


@pytest.mark.parametrize("histories, stamps, hours", [
    ([np.ones(10)], [START], 0), ([np.ones(10)], [START], 169), ([np.ones(10)], [START], True),
    ([np.ones(10)], [START, START], 24), ([np.array([])], [START], 24), ([np.array([1.0, np.nan])], [START], 24),
    ([np.ones(10)], ["not a time"], 24), ([np.ones(10)], [START], [24, 24]),
    ([np.ones(10)], None, 24), ([np.ones(10)], [START], [[1], [2, 3]]),
])
def test_bad_arguments_raise_one_error_type(random_forecaster, histories, stamps, hours):
    with pytest.raises(ForecastInputError):
        random_forecaster.forecast(histories, stamps, hours)


def test_missing_model_dir_reports_instead_of_raising(tmp_path):
    fc = load_forecaster(tmp_path / "nothing-here")
    info = fc.info
    assert info["loaded"] is False and info["kind"] is None and "model directory holds neither" in info["error"]
    assert set(info) == {"loaded", "name", "version", "kind", "device", "precision", "error", "quantiles", "serving"}
    with pytest.raises(ModelNotLoaded):
        fc.forecast([np.ones(10)], [START], 24)


def test_shipped_artifacts_load_and_forecast():
    fc = load_forecaster(device="cpu")
    assert fc.info["loaded"], fc.info["error"]
    assert fc.info["kind"] == "multi_horizon" and fc.info["quantiles"] == [0.1, 0.5, 0.9]
    _check(fc.forecast([_weekly(900)], [START], 168)[0], 168)


def test_synthetic_history_follows_the_profile_and_ends_at_the_current_load(random_forecaster):
    history = random_forecaster.synthetic_history(250.0, START, hours=400)
    assert history.shape == (400,) and history[-1] == pytest.approx(250.0)
    assert np.all(history > 0) and history.std() > 0
    np.testing.assert_array_equal(history, random_forecaster.synthetic_history(250.0, START, hours=400))
    assert not random_forecaster.synthetic_history(0.0, START).any()
