"""The networks themselves, plus the small untrained forecasters the other model tests build on."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import torch

from models.features import build_inputs
from models.network import LegacyAttentionLSTM, MultiHorizonForecaster
from models.forecasters.network import NetworkForecaster
from models.serving import forecaster_from_model
from models.transforms.median3 import Median3Blend

START = dt.datetime(2024, 3, 4, 23)   # a Monday, 23:00
# Small tensors: one thread avoids OpenMP spinning when the suite's servers and browsers share 2 cores.
torch.set_num_threads(1)


def untrained(seed: int = 0, median_shift: float = 0.0, **hparams) -> MultiHorizonForecaster:
    """A seeded untrained network: it forecasts weekly seasonal naive (+ ``median_shift`` x window mean)."""
    torch.manual_seed(seed)
    model = MultiHorizonForecaster(**hparams).eval()
    with torch.no_grad():
        model.head[-1].bias[1] = median_shift
    return model


def forecaster_for(model: MultiHorizonForecaster, precision: str = "fp32", **overrides):
    """A Forecaster around ``model`` on CPU; ``overrides`` are ServingConfig fields (None is off)."""
    meta = {"name": "test", "version": "0", "hour_of_week_profile": list(np.linspace(0.5, 1.5, 168))}
    return forecaster_from_model(model, meta, device=torch.device("cpu"), precision=precision, overrides=overrides)


def _random_head(seed: int = 3) -> MultiHorizonForecaster:
    model = untrained(seed=seed)
    with torch.no_grad():
        torch.manual_seed(seed + 1)
        model.head[-1].weight.normal_(0, 0.05)
    return model


@pytest.fixture(scope="module", params=[("fp32", 0.0), ("bf16", 0.0), ("bf16", 0.5)],
                ids=["fp32", "bf16", "bf16-blend"])
def random_forecaster(request):
    """An untrained network whose head has random weights, so its output depends on the encoder.

    Every property is checked at both serving precisions of the encoder, and with the 3-week-median blend.
    """
    precision, blend = request.param
    return forecaster_for(_random_head(), precision=precision, blend_median3=blend)


def test_forward_gives_every_horizon_and_ordered_quantiles():
    model = untrained(seed=1)
    with torch.no_grad():
        model.head[-1].weight.normal_(0, 0.5)
    rng = np.random.default_rng(0)
    window, future, _ = build_inputs(rng.gamma(2.0, 50.0, size=(5, 672)), np.full(5, 480_000))
    out = model(torch.from_numpy(window), torch.from_numpy(future))
    assert out.shape == (5, 168, 3)
    assert torch.all(out[..., 0] <= out[..., 1]) and torch.all(out[..., 1] <= out[..., 2])


def test_untrained_head_starts_at_weekly_seasonal_naive():
    model = untrained(seed=2)
    rng = np.random.default_rng(1)
    window, future, _ = build_inputs(rng.gamma(2.0, 50.0, size=(2, 672)), np.full(2, 480_000))
    out = model(torch.from_numpy(window), torch.from_numpy(future))
    assert torch.allclose(out[..., 1], torch.from_numpy(future[..., 0]))


def test_median3_base_halves_what_one_odd_week_moves():
    model = untrained(seed=2, base="weekly+median3")
    history = np.tile(50 + 40 * np.sin(2 * np.pi * np.arange(168) / 24), 4)
    history[-168:-144] *= 0.2                                     # a holiday a week ago
    window, future, _ = build_inputs(history[None, :], np.array([480_000]))
    out = model(torch.from_numpy(window), torch.from_numpy(future))[0, :, 1].detach().numpy()
    lag1, lag2, lag3 = future[0, :, 0], future[0, :, 1], future[0, :, 2]
    np.testing.assert_allclose(out, 0.5 * lag1 + 0.5 * np.median([lag1, lag2, lag3], axis=0), rtol=1e-6)
    assert np.all(out[:24] > lag1[:24]) and np.allclose(out[24:], lag1[24:])  # the odd day is pulled back up
    assert model.hparams["base"] == "weekly+median3" and "base" not in untrained().hparams
    with pytest.raises(ValueError, match="base"):
        MultiHorizonForecaster(base="monthly")


def test_blend_moves_the_median_toward_the_3_week_median_and_the_band_with_it():
    model = _random_head(seed=4)
    rng = np.random.default_rng(5)
    contexts = rng.gamma(4.0, 50.0, size=(3, 672))
    lasts = np.full(3, 480_000)
    plain = NetworkForecaster(model, torch.device("cpu")).predict(contexts, lasts)
    lags = np.stack([contexts[:, 504:672], contexts[:, 336:504], contexts[:, 168:336]])   # 1, 2, 3 weeks back
    for weight in (0.5, 1.0):
        blended = NetworkForecaster(model, torch.device("cpu"), blend=Median3Blend(weight)).predict(contexts, lasts)
        expected = (1 - weight) * plain[..., 1] + weight * np.median(lags, axis=0)
        np.testing.assert_allclose(blended[..., 1], expected, rtol=1e-5)
        np.testing.assert_allclose(blended[..., 2] - blended[..., 1], plain[..., 2] - plain[..., 1], atol=1e-3)
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="blend_median3"):
            Median3Blend(bad)


def test_level_scale_starts_at_naive_and_scales_it_by_a_bounded_factor():
    model = untrained(seed=2, level_scale=True)
    rng = np.random.default_rng(1)
    window, future, _ = build_inputs(rng.gamma(2.0, 50.0, size=(2, 672)), np.full(2, 480_000))
    window, future = torch.from_numpy(window), torch.from_numpy(future)
    torch.testing.assert_close(model(window, future)[..., 1], future[..., 0])     # untrained: naive exactly
    with torch.no_grad():
        model.head[-1].bias[3] = np.log(1.2)                      # the level up by a fifth
    torch.testing.assert_close(model(window, future)[..., 1], 1.2 * future[..., 0])
    with torch.no_grad():
        model.head[-1].bias[3] = 5.0                              # bounded: at most e times the base
    torch.testing.assert_close(model(window, future)[..., 1], np.e * future[..., 0])
    assert model.hparams["level_scale"] is True and "level_scale" not in untrained().hparams
    assert untrained().head[-1].out_features == 3                 # older artifacts keep their shapes


def test_legacy_network_keeps_the_original_state_dict_names():
    keys = set(LegacyAttentionLSTM(hidden_size=8).state_dict())
    assert {"lstm.weight_ih_l0", "lstm.weight_hh_l1_reverse", "attention.weight", "fc.weight", "fc.bias"} <= keys
    assert LegacyAttentionLSTM(hidden_size=8)(torch.zeros(3, 48, 5)).shape == (3, 1)


def test_random_forecaster_fixture_depends_on_its_input(random_forecaster):
    a = random_forecaster.forecast([np.ones(700)], [START], 168)[0]
    b = random_forecaster.forecast([np.r_[np.ones(650), np.full(50, 3.0)]], [START], 168)[0]
    assert not np.allclose(a.median, b.median)


def test_bf16_encoder_stays_close_to_float32_and_leaves_the_model_float32():
    model = _random_head(seed=5)
    rng = np.random.default_rng(3)
    histories = [rng.gamma(4.0, 50.0, size=700) for _ in range(4)]
    exact = forecaster_for(model, precision="fp32").forecast(histories, [START] * 4, 168)
    fast = forecaster_for(model, precision="bf16")
    assert fast.info["precision"] == "bf16" and model.encoder.lstm.weight_hh_l0.dtype == torch.float32
    approx = fast.forecast(histories, [START] * 4, 168)
    for a, b in zip(exact, approx):
        assert not np.array_equal(a.median, b.median)            # it really ran in bfloat16
        np.testing.assert_allclose(b.median, a.median, rtol=0.02)


def test_named_precisions_stand_and_others_are_refused():
    model = untrained(seed=1)
    assert NetworkForecaster(model, torch.device("cpu")).precision == "fp32"      # the default
    assert forecaster_for(model, precision="bf16").info["precision"] == "bf16"
    for bad in ("fp16", "auto"):                                   # a deployment names its precision
        with pytest.raises(ValueError, match="precision"):
            NetworkForecaster(model, torch.device("cpu"), precision=bad)
