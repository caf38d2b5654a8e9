"""Each transform through its own interface: inputs (CleanDays), the network's output (Median3Blend), the band
(BandCalibration) and the served quantiles (PersistentLevel)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from models.features import WEEK
from models.forecast import QuantileForecast
from models.notes import Note
from models.scoring import Backtests
from models.serving_config import ServingConfig
from models.transforms.band import BandCalibration, residual_band
from models.transforms.clean_days import CleanDays
from models.transforms.median3 import Median3Blend
from models.transforms.persistent_level import PersistentLevel, level_corrections
from tests.test_model_calibration import PERIODIC
from tests.test_model_forecasters import STEPPED, batch_of
from tests.test_model_level import day_levels, with_levels

HOLIDAY = slice(-WEEK - 5 * 24, -WEEK - 4 * 24)   # a day in the week before the last: both rows see it


def test_clean_days_cleans_each_row_the_network_sees_and_notes_the_forecast_rows():
    holiday = PERIODIC.copy()
    holiday[HOLIDAY] *= 0.3
    batch = CleanDays(ServingConfig(clean_days_threshold=0.1)).apply(batch_of(holiday, PERIODIC))
    np.testing.assert_allclose(batch.inputs[0], PERIODIC)         # the forecast row, cleaned
    np.testing.assert_allclose(batch.inputs[2], PERIODIC[:-WEEK])  # its backtest row, cleaned on its own weeks
    np.testing.assert_array_equal(batch.histories[0][HOLIDAY], 0.3 * PERIODIC[HOLIDAY])   # raw: scored as is
    np.testing.assert_array_equal(batch.inputs[1], PERIODIC)
    assert batch.notes == [[Note("cleaned_days", {"days": 1, "threshold": 0.1})], []]   # once, not per row


def test_the_median3_blend_moves_the_median_toward_the_3_week_median_and_the_band_with_it():
    out = torch.tensor([0.8, 1.0, 1.5]).expand(2, 4, 3)           # [N, H, 3] normalised quantiles
    future = torch.zeros(2, 4, 9)
    future[..., :3] = torch.tensor([2.0, 10.0, 3.0])              # 1, 2 and 3 weeks back: median 3
    for weight, median in ((0.5, 2.0), (1.0, 3.0)):
        blended = Median3Blend(weight).apply(out, future)
        torch.testing.assert_close(blended, out + (median - 1.0))  # every quantile moves by the median's shift
    with pytest.raises(ValueError, match="blend_median3"):
        Median3Blend(0.0)


def test_a_network_band_is_scaled_by_its_backtest_and_left_alone_without_one():
    batch = batch_of(STEPPED, STEPPED[:100])                       # series 0 backtested, series 1 not
    median = np.full((3, WEEK), 100.0)
    forecast = QuantileForecast(median - 10, median, median + 20, ["attention_bilstm"] * 3, [[], [], []])
    scores = Backtests(batch.actual(), np.ones(1), {}, np.array([0.5]), band_scale=np.array([2.0]))
    out, notes = BandCalibration().apply(forecast, batch, scores, gives_band=True)
    assert out.median.shape == (2, WEEK) and notes == [[], []]     # the forecast rows only
    np.testing.assert_array_equal(out.p10[0], 80.0)
    np.testing.assert_array_equal(out.p90[0], 140.0)
    np.testing.assert_array_equal(out.p10[1], 90.0)
    np.testing.assert_array_equal(out.p90[1], 120.0)


def test_a_median_only_forecast_gets_the_band_of_its_backtest_errors_or_of_daily_changes():
    batch = batch_of(STEPPED, STEPPED[:100])
    past, actual = STEPPED[-2 * WEEK:-WEEK], STEPPED[-WEEK:]
    median = np.stack([actual, STEPPED[-WEEK:], past])             # rows: series 0, series 1, 0's backtest
    forecast = QuantileForecast(median, median, median, ["legacy_attention_lstm"] * 3, [[], [], []])
    scores = Backtests(batch.actual(), np.ones(1), {}, np.array([-1.0]), np.array([1.0]))
    out, notes = BandCalibration().apply(forecast, batch, scores, gives_band=False)
    assert notes == [[Note("band_from_backtest_errors")], [Note("band_from_daily_changes")]]
    errors = actual - past                                         # the last week 44% above the one before
    np.testing.assert_array_equal(out.p10[0], actual)              # no error below: p10 = median
    np.testing.assert_allclose(out.p90[0], actual + np.quantile(errors, 0.9))
    changes = STEPPED[24:100] - STEPPED[:76]
    expected = residual_band(median[1], changes)
    np.testing.assert_allclose(out.p10[1], expected[0])
    np.testing.assert_allclose(out.p90[1], expected[1])
    assert 0.75 <= scores.coverage[0] <= 0.95                      # the residual band's own coverage, not -1
    np.testing.assert_array_equal(forecast.p90, median)            # the input forecast is left alone


def test_the_persistent_level_moves_the_quantiles_by_its_factors_and_says_so():
    wandering = with_levels(day_levels(35, 0.95, 0.08, seed=11))
    histories = [wandering, wandering[-2 * WEEK:]]                 # the second: under three weeks
    medians = np.stack([h[-WEEK:] for h in histories])
    level = PersistentLevel(ServingConfig(level_persistence_floor=0.0))
    levels = level.measure(histories, medians)
    assert sorted(levels) == [0]
    fix = level_corrections(histories[:1], medians[:1], 0.0)[0]
    np.testing.assert_array_equal(levels[0].factors, fix.factors)
    quantiles = (medians[0], 0.8 * medians[0], 1.2 * medians[0])
    moved, notes = level.apply(levels[0], *quantiles)
    for before, after in zip(quantiles, moved):
        np.testing.assert_array_equal(after, before * fix.factors)
    assert not np.allclose(fix.factors, 1.0)
    assert notes == [Note("level_followed", {"persistence": float(fix.persistence),
                                             "departure": float(fix.last_departure), "share": float(fix.share),
                                             "day_one": float(fix.factors[0] - 1)})]


def test_a_persistent_level_without_a_floor_measures_and_moves_nothing():
    wandering = with_levels(day_levels(35, 0.95, 0.08, seed=11))
    measured = PersistentLevel(ServingConfig()).measure([wandering], wandering[None, -WEEK:])[0]
    assert measured.persistence > 0.5 and measured.spread > 0.03 and measured.share == 0.0
    moved, notes = PersistentLevel.apply(measured, wandering[-WEEK:])
    np.testing.assert_array_equal(moved[0], wandering[-WEEK:])
    assert notes == []
