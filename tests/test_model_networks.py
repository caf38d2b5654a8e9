"""The networks themselves, plus the small untrained forecasters the other model tests build on."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import torch

from models.features import build_inputs
from models.network import LegacyAttentionLSTM, MultiHorizonForecaster
from models.serving import forecaster_from_model

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


def forecaster_for(model: MultiHorizonForecaster, **options):
    meta = {"name": "test", "version": "0", "hour_of_week_profile": list(np.linspace(0.5, 1.5, 168))}
    return forecaster_from_model(model, meta, torch.device("cpu"), **options)


@pytest.fixture(scope="module")
def random_forecaster():
    """An untrained network whose head has random weights, so its output depends on the encoder."""
    model = untrained(seed=3)
    with torch.no_grad():
        torch.manual_seed(4)
        model.head[-1].weight.normal_(0, 0.05)
    return forecaster_for(model)


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


def test_legacy_network_keeps_the_original_state_dict_names():
    keys = set(LegacyAttentionLSTM(hidden_size=8).state_dict())
    assert {"lstm.weight_ih_l0", "lstm.weight_hh_l1_reverse", "attention.weight", "fc.weight", "fc.bias"} <= keys
    assert LegacyAttentionLSTM(hidden_size=8)(torch.zeros(3, 48, 5)).shape == (3, 1)


def test_random_forecaster_fixture_depends_on_its_input(random_forecaster):
    a = random_forecaster.forecast([np.ones(700)], [START], 168)[0]
    b = random_forecaster.forecast([np.r_[np.ones(650), np.full(50, 3.0)]], [START], 168)[0]
    assert not np.allclose(a.median, b.median)
