"""The held-out comparison's own uncertainty: ratios of mean MASE with a bootstrap interval over groups of cases."""
from __future__ import annotations

import numpy as np
import pytest

from experiments.evaluation import Origins, ratio_with_interval, rolling_origins, synthetic_cases


def _errors(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    baseline = rng.lognormal(0.0, 0.5, n)
    return baseline * rng.lognormal(-0.1, 0.3, n), baseline       # model ~10% better, case by case noisy


def test_the_ratio_is_of_mean_mase_and_its_interval_holds_it():
    model, baseline = _errors(36)
    out = ratio_with_interval(model, baseline, None)
    assert out["ratio"] == pytest.approx(model.mean() / baseline.mean())
    low, high = out["interval"]
    assert low < out["ratio"] < high and out["level"] == 0.9 and out["groups"] == 36
    assert out["cases_better"] == int((model < baseline).sum()) and out["cases_worse"] == int((model > baseline).sum())
    assert ratio_with_interval(model, baseline, None) == out      # seeded: the same figures every run


def test_identical_errors_give_a_ratio_of_one_and_no_spread():
    _, baseline = _errors(12)
    out = ratio_with_interval(baseline.copy(), baseline, None)
    assert out["ratio"] == pytest.approx(1.0) and out["interval"] == pytest.approx([1.0, 1.0])
    assert out["cases_better"] == out["cases_worse"] == 0


def test_more_cases_narrow_the_interval():
    narrow = ratio_with_interval(*_errors(2000), None)["interval"]
    wide = ratio_with_interval(*_errors(12), None)["interval"]
    assert narrow[1] - narrow[0] < 0.3 * (wide[1] - wide[0])


def test_cases_of_one_group_are_resampled_together():
    model, baseline = _errors(12)
    tripled_model, tripled_baseline = np.repeat(model, 3), np.repeat(baseline, 3)   # three columns, one week
    groups = np.repeat(np.arange(12), 3)
    grouped = ratio_with_interval(tripled_model, tripled_baseline, groups)
    assert grouped["groups"] == 12
    assert grouped["interval"] == pytest.approx(ratio_with_interval(model, baseline, None)["interval"])
    assert grouped["cases_better"] == 3 * grouped["groups_better"]     # better in N counts weeks, not columns
    assert grouped["groups_better"] == ratio_with_interval(model, baseline, None)["cases_better"] <= 12
    as_if_independent = ratio_with_interval(tripled_model, tripled_baseline, None)["interval"]
    assert as_if_independent[1] - as_if_independent[0] < grouped["interval"][1] - grouped["interval"][0]


def test_a_baseline_without_error_gives_no_ratio_and_two_groups_no_interval():
    out = ratio_with_interval(np.ones(5), np.zeros(5), None)
    assert out["ratio"] is None and out["interval"] is None and out["cases_worse"] == 5
    two = ratio_with_interval(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0]), np.array([0, 0, 1]))
    assert two["ratio"] == pytest.approx(1.0) and two["interval"] is None and two["groups"] == 2


def test_origins_group_the_same_week_across_columns_and_generated_cases_by_series():
    t = np.arange(3000, dtype=float)
    series = {"a": 100 + np.sin(t), "b": 50 + np.cos(t)}
    cases = rolling_origins(series, 0, origins=4)
    assert list(cases.groups) == [0, 1, 2, 3, 0, 1, 2, 3]
    assert cases.lasts[0] == cases.lasts[4]                       # a group is one forecast origin
    generated = synthetic_cases(origins=2, n_series=3)
    assert list(generated.groups) == [0, 0, 1, 1, 2, 2]
    assert Origins(cases.histories, cases.actuals, cases.lasts).groups is None
