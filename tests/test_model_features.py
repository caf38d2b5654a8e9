"""Network inputs: the window slides, lags and head features point at the right hours, padding is sensible."""
from __future__ import annotations

import numpy as np

from models.features import (HEAD_FEATURES_ALL, LEVEL_CLIP, build_inputs, epoch_hour, hour_and_weekday,
                             pad_history, week_groups)
from tests.test_model_networks import START

LAST = epoch_hour(START)


def _series(hours: int = 700) -> np.ndarray:
    return np.random.default_rng(0).gamma(2.0, 10.0, hours) + 1.0


def test_each_window_row_carries_its_own_hour():
    x = _series()[:672]
    window, _, scale = build_inputs(x[None, :], np.array([LAST]))
    load, lag24, lag168 = (window[0, :, k] * scale[0] for k in range(3))
    np.testing.assert_allclose(load, x[-48:], rtol=1e-5)
    np.testing.assert_allclose(lag24, x[-72:-24], rtol=1e-5)
    np.testing.assert_allclose(lag168, x[-216:-168], rtol=1e-5)
    assert len(np.unique(window[0, :, 0])) > 40                   # rows differ: not one row repeated
    hour, weekday = hour_and_weekday(LAST - 47 + np.arange(48))
    np.testing.assert_allclose(window[0, :, 3], hour / 23, rtol=1e-6)
    np.testing.assert_allclose(window[0, :, 4], weekday / 6, rtol=1e-6)


def test_shifting_the_history_shifts_the_window():
    x = _series()
    old, _, s_old = build_inputs(x[None, :672], np.array([LAST]))
    new, _, s_new = build_inputs(x[None, 1:673], np.array([LAST + 1]))
    np.testing.assert_allclose(new[0, :-1, :3] * s_new[0], old[0, 1:, :3] * s_old[0], rtol=1e-5)
    np.testing.assert_allclose(new[0, :-1, 3:], old[0, 1:, 3:])
    np.testing.assert_allclose(new[0, -1, 0] * s_new[0], x[672], rtol=1e-5)


def test_head_features_are_the_target_hours_past_values():
    x = _series()[:672]
    _, future, scale = build_inputs(x[None, :], np.array([LAST]))
    f = future[0] * scale[0]
    for h in (1, 24, 25, 168):
        target = 671 + h
        np.testing.assert_allclose(f[h - 1, :3], [x[target - 168], x[target - 336], x[target - 504]], rtol=1e-5)
        last_same_hour = target - 24 * ((h + 23) // 24)
        assert last_same_hour <= 671 and (target - last_same_hour) % 24 == 0
        np.testing.assert_allclose(f[h - 1, 3], x[last_same_hour], rtol=1e-5)


def test_each_row_gets_the_calendar_of_its_own_target_hours():
    lasts = np.array([LAST, LAST + 5, LAST - 168, LAST + 5, LAST - 1000])   # repeated and distinct phases
    _, future, _ = build_inputs(np.tile(_series()[:672], (len(lasts), 1)), lasts)
    for row, last in enumerate(lasts):
        hour, weekday = hour_and_weekday(last + np.arange(1, 169))
        np.testing.assert_allclose(future[row, :, 4], hour / 23, rtol=1e-6)
        np.testing.assert_allclose(future[row, :, 5], weekday / 6, rtol=1e-6)
        np.testing.assert_allclose(future[row, :, 6], np.sin(2 * np.pi * hour / 24), atol=1e-6)
        np.testing.assert_allclose(future[row, :, 8], np.arange(1, 169) / 168, rtol=1e-6)


def test_scale_is_the_context_mean_and_zero_stays_zero():
    x = _series()[:672]
    window, future, scale = build_inputs(np.stack([x, np.zeros(672)]), np.array([LAST, LAST]))
    assert scale[0] == np.float64(x.mean()) and scale[1] == 0
    assert np.all(np.isfinite(window)) and not window[1, :, :3].any() and not future[1, :, :4].any()


def test_padding_repeats_observed_weeks_on_the_same_hour_of_week():
    x = _series(300)
    padded, n_pad, how = pad_history(x, LAST, 672, np.ones(168))
    assert n_pad == 372 and len(padded) == 672 and how == "weeks"
    np.testing.assert_array_equal(padded[n_pad:], x)
    positions = np.arange(n_pad)
    np.testing.assert_array_equal(padded[positions], x[(positions - n_pad) % 168])


def test_padding_short_history_uses_the_profile_scaled_to_its_mean():
    profile = np.linspace(0.5, 1.5, 168)
    padded, n_pad, how = pad_history(np.full(10, 7.0), LAST, 672, profile)
    assert n_pad == 662 and how == "profile"
    assert padded.std() > 0 and np.all(padded > 0)
    assert not pad_history(np.zeros(10), LAST, 672, profile)[0].any()


def test_long_history_keeps_its_last_context():
    x = _series(900)
    padded, n_pad, how = pad_history(x, LAST, 672, np.ones(168))
    assert n_pad == 0 and how is None
    np.testing.assert_array_equal(padded, x[-672:])


def test_level_features_compare_the_recent_past_with_a_week_earlier():
    x = _series()[:672]
    _, base, _ = build_inputs(x[None, :], np.array([LAST]))
    _, future, scale = build_inputs(x[None, :], np.array([LAST]), head_features=HEAD_FEATURES_ALL)
    assert future.shape == (1, 168, HEAD_FEATURES_ALL)
    np.testing.assert_array_equal(future[..., :9], base)          # older artifacts see what they were trained on
    f = future[0] * scale[0]
    for h in (1, 30, 168):
        same_hour = 671 + h - 24 * ((h + 23) // 24)
        np.testing.assert_allclose(f[h - 1, 9], x[same_hour] - x[same_hour - 168], rtol=1e-4)
    np.testing.assert_allclose(f[:, 10], x[-24:].mean() - x[-192:-168].mean(), rtol=1e-4)
    np.testing.assert_allclose(f[:, 11], x[-168:].mean() - x[-336:-168].mean(), rtol=1e-4)


def test_level_features_are_bounded_after_a_spike():
    x = np.ones(672)
    x[-3] = 1e6
    _, future, _ = build_inputs(x[None, :], np.array([LAST]), head_features=HEAD_FEATURES_ALL)
    assert np.all(np.isfinite(future)) and np.abs(future[..., 9:]).max() <= LEVEL_CLIP


def test_week_groups_batch_the_last_whole_weeks_and_leave_short_histories_out():
    x = _series(6 * 168 + 5)
    histories = [x, x[:3 * 168 + 100], x[:2 * 168], x[:168 + 50], x[:4 * 168]]
    groups = {rows.shape[1] // 168: (index, rows) for index, rows in week_groups(histories, least=2, most=4)}
    assert {weeks: list(index) for weeks, (index, _) in groups.items()} == {4: [0, 4], 3: [1], 2: [2]}
    for weeks, (index, rows) in groups.items():                    # one week (index 3): left out
        assert rows.shape == (len(index), weeks * 168)
        for row, i in zip(rows, index):
            assert weeks == min(len(histories[i]) // 168, 4)
            np.testing.assert_array_equal(row, histories[i][-weeks * 168:])   # the last weeks, aligned to the end
