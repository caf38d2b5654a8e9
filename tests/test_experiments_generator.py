"""The synthetic generator training draws from: seeded, the shapes of transaction load, versions kept."""
from __future__ import annotations

import numpy as np
import pytest

from experiments.generator import GROWTH_SHARE, PERSISTENT_SHARE, _level_dynamics, generate_set

def test_generator_is_seeded_and_covers_the_shapes_of_transaction_load():
    values, starts = generate_set(11, 40, 24 * 7 * 6)
    again, _ = generate_set(11, 40, 24 * 7 * 6)
    np.testing.assert_array_equal(values, again)
    assert not np.array_equal(values, generate_set(12, 40, 24 * 7 * 6)[0])
    assert values.shape == (40, 1008) and np.all(values >= 0) and np.all(np.isfinite(values))
    means = values.mean(axis=1)
    assert means.min() < 100 and means.max() > 1e4                # scales from tens to tens of thousands+
    assert (values == 0).any(axis=1).sum() >= 5                   # closed hours and outages give zero runs
    hour = (starts[:, None] + np.arange(1008)) % 24
    day_share = values[hour == 12].sum() / max(values[hour == 3].sum(), 1e-9)
    assert day_share > 1.5                                        # business hours are busier than the night


def test_generator_version_1_still_draws_what_models_up_to_1_5_0_trained_on():
    # Pinned to a tolerance, not a byte hash: numpy's exp and log round differently with and without AVX-512,
    # so the bytes differ from CPU to CPU while the draws (most of them integer counts) are the same.
    values, starts = generate_set(3, 6, 600)
    assert starts.tolist() == [451334, 400466, 407039, 411059, 407174, 450617]
    np.testing.assert_allclose(values.sum(axis=1), [1823552.0, 1322.0, 200597.0, 288354274.0, 4167384.0,
                                                    9416567.567224305], rtol=1e-9)
    np.testing.assert_allclose(np.log1p(values).sum(axis=1), [4582.247500764795, 350.4941725074283,
                                                              3365.3437364867577, 4077.646635429126,
                                                              5066.421713669855, 5673.1138149165], rtol=1e-9)
    assert not np.array_equal(values, generate_set(3, 6, 600, version=2)[0])
    with pytest.raises(ValueError, match="generator version"):
        generate_set(3, 6, 600, version=3)


def test_generator_version_2_levels_wander_and_stay_where_they_wandered():
    rng = np.random.default_rng(0)
    factors = np.stack([_level_dynamics(rng, 24 * 7 * 4) for _ in range(400)])
    moving = ~np.all(factors == 1.0, axis=1)
    expected = 1 - (1 - PERSISTENT_SHARE) * (1 - GROWTH_SHARE)
    assert abs(moving.mean() - expected) < 0.08
    logs = np.log(factors[moving])
    steps = np.diff(logs, axis=1)
    # persistent: the level a day on is far closer to today's than to an independent draw's
    day_apart = np.abs(logs[:, 24:] - logs[:, :-24]).mean(axis=1)
    spread = logs.std(axis=1)
    assert np.median(day_apart / np.maximum(spread, 1e-12)) < 1.0
    assert np.median(steps.std(axis=1) / np.maximum(spread, 1e-12)) < 0.5   # it wanders, it does not jump
