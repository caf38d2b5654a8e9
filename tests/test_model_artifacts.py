"""Artifacts: native save/load round trip, strict loading, and the original service's three files."""
from __future__ import annotations

import hashlib
import json

import joblib
import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler

from models.artifacts import META_FILE, save_native
from models.network import LegacyAttentionLSTM
from models.notes import Note
from models.serving import ModelNotLoaded, load_forecaster
from models.serving_config import ServingConfig
from tests.test_model_networks import START, untrained

HISTORY = 50 + 40 * np.sin(2 * np.pi * np.arange(500) / 24)


def _save(model, path):
    meta = {"name": "attention_bilstm", "version": "t1", "quantiles": [0.1, 0.5, 0.9], "context_hours": 672,
            "hour_of_week_profile": list(np.linspace(0.5, 1.5, 168))}
    return save_native(model, meta, path)


def test_save_then_load_gives_identical_forecasts(tmp_path):
    model = untrained(seed=9, hidden_size=16, head_hidden=8)
    with torch.no_grad():
        model.head[-1].weight.normal_(0, 0.1)
    _save(model, tmp_path)
    first = load_forecaster(tmp_path, device="cpu")
    second = load_forecaster(tmp_path, device="cpu")
    assert first.info["loaded"] and first.info["version"] == "t1" and first.info["kind"] == "multi_horizon"
    a = first.forecast([HISTORY], [START], 168)[0]
    b = second.forecast([HISTORY], [START], 168)[0]
    np.testing.assert_array_equal(a.median, b.median)
    np.testing.assert_array_equal(a.p90, b.p90)
    meta = json.loads((tmp_path / META_FILE).read_text())
    assert meta["hparams"]["hidden_size"] == 16 and meta["class"] == "MultiHorizonForecaster"


def test_head_feature_count_is_rebuilt_from_the_saved_hyperparameters(tmp_path):
    for features in (9, 12):
        model = untrained(seed=3, hidden_size=16, head_hidden=8, head_features=features)
        with torch.no_grad():
            model.head[-1].weight.normal_(0, 0.1)
        _save(model, tmp_path / str(features))
        loaded = load_forecaster(tmp_path / str(features), device="cpu")
        assert loaded.info["loaded"], loaded.info["error"]
        out = loaded.forecast([HISTORY], [START], 168)[0]
        assert np.all(np.isfinite(out.median)) and np.all(out.p10 <= out.p90)
        meta = json.loads((tmp_path / str(features) / META_FILE).read_text())
        assert meta["hparams"]["head_features"] == features


def test_mismatched_hyperparameters_are_refused(tmp_path):
    _save(untrained(hidden_size=16, head_hidden=8), tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["hparams"]["hidden_size"] = 32
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    fc = load_forecaster(tmp_path)
    assert fc.info["loaded"] is False and "does not match" in fc.info["error"]


def _legacy_dir(path, manifest: bool = True):
    """The original notebook's three files, tiny: hidden size 8, scalers fitted on a 0..505 series."""
    torch.manual_seed(0)
    torch.save(LegacyAttentionLSTM(hidden_size=8).state_dict(), path / "attention_lstm.pth")
    counts = np.linspace(0, 505, 200)
    joblib.dump(MinMaxScaler().fit(np.stack([counts, counts[::-1], counts], axis=1)), path / "target_scaler.pkl")
    joblib.dump(MinMaxScaler().fit(np.stack([np.arange(200) % 24, np.arange(200) % 7], axis=1)),
                path / "time_scaler.pkl")
    if manifest:
        lines = [f"{hashlib.sha256((path / n).read_bytes()).hexdigest()}  {n}"
                 for n in ("target_scaler.pkl", "time_scaler.pkl")]
        (path / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    return path


def test_original_files_listed_in_the_manifest_load_and_forecast(tmp_path):
    fc = load_forecaster(_legacy_dir(tmp_path), device="cpu")
    assert fc.info["loaded"], fc.info["error"]
    assert fc.info["kind"] == "legacy_onestep" and fc.info["name"] == "legacy_attention_lstm"
    short, long = fc.forecast([HISTORY[:100], np.r_[HISTORY, HISTORY]], [START, START], [24, 168])
    for out, hours in ((short, 24), (long, 168)):
        assert out.method == "legacy_attention_lstm" and out.median.shape == (hours,)
        assert np.all(np.isfinite(out.median)) and np.all(out.p10 <= out.median) and np.all(out.median <= out.p90)
    assert short.padded_hours == 116 and short.backtest is None
    assert long.backtest is not None and Note("band_from_backtest_errors") in long.notes
    assert Note("band_from_daily_changes") in short.notes
    scale, = [n for n in short.notes if n.code == "out_of_scale"]     # max 90: far below its range
    assert scale.values == pytest.approx({"low": 0.0, "high": 505.0, "peak": HISTORY[:100].max()})
    assert "fixed scale (0 to 505 per hour)" in str(scale)
    in_range = fc.forecast([HISTORY * 4], [START], 24)[0]
    assert not any(n.code == "out_of_scale" for n in in_range.notes)


def test_legacy_first_hour_is_one_step_of_the_original_network(tmp_path):
    path = _legacy_dir(tmp_path)
    fc = load_forecaster(path, device="cpu")
    out = fc.forecast([HISTORY], [START], 2)[0]
    model = LegacyAttentionLSTM(hidden_size=8)
    model.load_state_dict(torch.load(path / "attention_lstm.pth", weights_only=True))
    target, times = joblib.load(path / "target_scaler.pkl"), joblib.load(path / "time_scaler.pkl")
    rows = np.arange(len(HISTORY) - 48, len(HISTORY))
    stamps = np.datetime64(START, "h") - (len(HISTORY) - 1 - rows).astype("timedelta64[h]")
    hours = stamps.astype(np.int64) % 24
    weekday = (stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7
    window = np.c_[target.transform(np.c_[HISTORY[rows], HISTORY[rows - 24], HISTORY[rows - 168]]),
                   times.transform(np.c_[hours, weekday])]
    with torch.no_grad():
        scaled = model.eval()(torch.tensor(window[None], dtype=torch.float32)).item()
    expected = max((scaled - target.min_[0]) / target.scale_[0], 0.0)
    assert out.median[0] == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_unlisted_pickles_are_refused(tmp_path):
    fc = load_forecaster(_legacy_dir(tmp_path, manifest=False))
    assert fc.info["loaded"] is False
    assert "target_scaler.pkl is not listed in MANIFEST.sha256" in fc.info["error"]
    with pytest.raises(ModelNotLoaded):
        fc.forecast([HISTORY], [START], 24)
    assert load_forecaster(tmp_path, allow_unsafe_pickle=True).info["loaded"]


def test_tampered_pickle_is_refused(tmp_path):
    path = _legacy_dir(tmp_path)
    with open(path / "time_scaler.pkl", "ab") as fh:
        fh.write(b"\0")
    fc = load_forecaster(path)
    assert fc.info["loaded"] is False and "time_scaler.pkl does not match" in fc.info["error"]


def test_foreign_pth_is_reported(tmp_path):
    _legacy_dir(tmp_path)
    torch.save({"weight": torch.zeros(2)}, tmp_path / "attention_lstm.pth")
    fc = load_forecaster(tmp_path)
    assert fc.info["loaded"] is False and "attention_lstm.pth" in fc.info["error"]


def test_head_base_and_serving_blend_come_back_from_the_artifact(tmp_path):
    model = untrained(seed=4, hidden_size=16, head_hidden=8, base="weekly+median3")
    with torch.no_grad():
        model.head[-1].weight.normal_(0, 0.1)
    meta = {"name": "attention_bilstm", "version": "t2", "quantiles": [0.1, 0.5, 0.9], "context_hours": 672,
            "hour_of_week_profile": list(np.linspace(0.5, 1.5, 168)), "serving": {"blend_median3": 0.5}}
    save_native(model, meta, tmp_path)
    history = np.tile(HISTORY[:168], 4) * np.repeat([1.0, 1.0, 0.5, 1.0], 168)   # one odd week
    served = load_forecaster(tmp_path, device="cpu", precision="fp32").forecast([history], [START], 168)[0]
    unblended = load_forecaster(tmp_path, device="cpu", precision="fp32", overrides={"blend_median3": None})
    assert json.loads((tmp_path / META_FILE).read_text())["hparams"]["base"] == "weekly+median3"
    assert load_forecaster(tmp_path, device="cpu").info["serving"]["blend_median3"] == 0.5
    assert unblended.info["serving"]["blend_median3"] is None
    assert not np.allclose(served.median, unblended.forecast([history], [START], 168)[0].median)
    from models.serving import forecaster_from_model
    direct = forecaster_from_model(model, meta, device=torch.device("cpu")).forecast([history], [START], 168)[0]
    np.testing.assert_allclose(served.median, direct.median, rtol=1e-6)


def _saved_loses(tmp_path, **serving):
    """A network 30% too high (it loses its backtest), saved with these serving options; its meta."""
    model = untrained(seed=5, median_shift=0.3, hidden_size=16, head_hidden=8)
    meta = {"name": "attention_bilstm", "version": "t3", "quantiles": [0.1, 0.5, 0.9], "context_hours": 672,
            "serving": serving}
    save_native(model, meta, tmp_path)
    return meta


def _load(tmp_path, **overrides):
    return load_forecaster(tmp_path, device="cpu", precision="fp32", overrides=overrides)


def test_the_fallback_switch_comes_back_from_the_artifact_and_a_caller_can_override_it(tmp_path):
    _saved_loses(tmp_path, fallback_to_seasonal_naive=True)
    history = np.tile(HISTORY[:168], 4)
    served = _load(tmp_path)
    assert served.info["serving"]["fallback_to_seasonal_naive"] is True
    assert served.info["serving"]["fallback_fade_hours"] == [168, 168]   # absent from 1.2.0's file: the whole week
    out = served.forecast([history], [START], 168)[0]
    assert out.method == "seasonal_naive" and out.backtest["mase_model"] > out.backtest["mase_seasonal_naive"]
    np.testing.assert_allclose(out.median, history[-168:])
    network = _load(tmp_path, fallback_to_seasonal_naive=False)
    assert network.info["serving"]["fallback_to_seasonal_naive"] is False
    assert network.forecast([history], [START], 168)[0].method == "attention_bilstm"


def test_the_fade_and_the_week_change_limit_come_back_from_the_artifact(tmp_path):
    _saved_loses(tmp_path, fallback_to_seasonal_naive=True, fallback_fade_hours=[24, 72])
    history = np.tile(HISTORY[:168], 4)
    faded = _load(tmp_path)
    assert faded.info["serving"]["fallback_fade_hours"] == [24, 72]
    assert faded.forecast([history], [START], 168)[0].method == "seasonal_naive_then_attention_bilstm"
    assert _load(tmp_path, fallback_fade_hours=(168, 168)).info["serving"]["fallback_fade_hours"] == [168, 168]
    assert faded.info["serving"]["fallback_max_week_change"] is None   # absent from 1.3.0's file: no limit
    shifted = np.concatenate([history[:-168], history[-168:] * 0.6])   # lost, but its weeks do not repeat
    _saved_loses(tmp_path, fallback_to_seasonal_naive=True, fallback_fade_hours=[24, 72], fallback_max_week_change=0.2)
    limited = _load(tmp_path)
    assert limited.info["serving"]["fallback_max_week_change"] == 0.2
    assert [o.method for o in limited.forecast([history, shifted], [START, START], 168)] == [
        "seasonal_naive_then_attention_bilstm", "attention_bilstm"]
    lifted = _load(tmp_path, fallback_max_week_change=None)
    assert lifted.info["serving"]["fallback_max_week_change"] is None
    assert lifted.forecast([shifted], [START], 168)[0].method == "seasonal_naive_then_attention_bilstm"


@pytest.mark.parametrize("option, value", [("clean_days_threshold", 0.1), ("seasonal_trend_margin", 0.2),
                                           ("level_persistence_floor", 0.3), ("fallback_level_gate", [0.5, 0.03])])
def test_an_option_absent_from_an_older_file_is_off_and_a_stored_one_can_be_switched_off(tmp_path, option, value):
    _saved_loses(tmp_path)
    assert _load(tmp_path).info["serving"][option] is None        # absent from the file that predates it: off
    _saved_loses(tmp_path, **{option: value})
    assert _load(tmp_path).info["serving"][option] == value
    assert _load(tmp_path, **{option: None}).info["serving"][option] is None


def test_a_bad_stored_or_overriding_option_is_reported_by_name(tmp_path):
    _saved_loses(tmp_path, seasonal_trend_margni=0.2)
    stored = _load(tmp_path)
    assert not stored.info["loaded"] and "did you mean seasonal_trend_margin" in stored.info["error"]
    _saved_loses(tmp_path)
    overridden = _load(tmp_path, clean_days_threshold=-1)
    assert not overridden.info["loaded"] and "clean_days_threshold" in overridden.info["error"]


def test_the_original_files_serve_with_the_callers_overrides(tmp_path):
    fc = load_forecaster(_legacy_dir(tmp_path), device="cpu", overrides={"seasonal_trend_margin": 0.2})
    assert fc.info["loaded"] and fc.info["precision"] == "fp32"
    assert fc.info["serving"] == {**ServingConfig().as_dict(), "seasonal_trend_margin": 0.2}


# load_forecaster marks a legacy directory loaded before it builds the ServingConfig from the overrides, so a bad
# override leaves info["loaded"] True beside the error, and forecast() then raises ModelNotLoaded.
def test_a_bad_override_of_the_original_files_is_reported_as_not_loaded(tmp_path):
    fc = load_forecaster(_legacy_dir(tmp_path), device="cpu", overrides={"clean_days_threshold": -1})
    assert "clean_days_threshold" in fc.info["error"]
    assert fc.info["loaded"] is False
