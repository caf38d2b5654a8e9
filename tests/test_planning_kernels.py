"""The vectorised kernels against plain per-plan loops."""
from __future__ import annotations

import numpy as np
import pytest

from planning import ForecastBatch
from planning.patterns import hourly_pattern_arrays
from planning.schedule import window_max


@pytest.mark.parametrize("hours", [1, 2, 5, 24, 25, 168])
def test_window_max_matches_a_loop(hours):
    rng = np.random.default_rng(hours)
    values = rng.random((40, hours))
    varied, uniform = rng.integers(1, 12, size=40), np.full(40, 5)
    got_varied, got_uniform = window_max(values, varied, uniform)
    for got, width in ((got_varied, varied), (got_uniform, uniform)):
        expected = [[values[i, k:k + width[i]].max() for k in range(hours)] for i in range(40)]
        assert np.array_equal(got, np.array(expected))


@pytest.mark.parametrize("hours", [1, 23, 24, 49, 168])
def test_hourly_patterns_match_a_loop(hours):
    rng = np.random.default_rng(hours)
    n = 12
    median = rng.uniform(0, 100, (n, hours))
    start = np.datetime64("2024-01-10T00", "h") + rng.integers(0, 400, n).astype("timedelta64[h]")
    got = hourly_pattern_arrays(ForecastBatch(start=start, median=median, p10=median, p90=median))
    for i in range(n):
        stamps = start[i] + np.arange(hours).astype("timedelta64[h]")
        hour_of_day = stamps.astype(np.int64) % 24
        weekday = (stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7     # 1970-01-01 was a Thursday
        for key, groups, size in (("by_hour", hour_of_day, 24), ("by_day", weekday, 7)):
            expected = [median[i][groups == g].mean() if (groups == g).any() else np.nan for g in range(size)]
            np.testing.assert_allclose(got[key][i], expected, rtol=1e-9, atol=1e-9)
