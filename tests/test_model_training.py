"""Training: a seeded smoke run, its losses and data, the train command."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import torch

from experiments import train_cli
from experiments.data_paths import ROOT
from experiments.generator import generate_set
from experiments.training_data import excluded_spans, training_data
from models.artifacts import save_native
from models.dataset import SeriesPool
from models.serving import load_forecaster
from models.serving_config import ServingConfig
from models.training import (NAIVE_SCALE_FLOOR, TrainConfig, _examples, horizon_weights, naive_scales, pinball_loss,
                             train)
from tests.test_model_packaging import absolute_paths

TINY = dict(epochs=2, steps_per_epoch=6, batch_size=16, synthetic_series=8, synthetic_hours=1200,
            real_csv=None, validation_size=32, hidden_size=16, head_hidden=16, threads=1, learning_rate=5e-3)


def _train(config: TrainConfig):
    """Train quietly on the data the config describes, as `capplan train` does."""
    return train(config, training_data(config), log=lambda line: None)


def test_training_smoke_run_lowers_the_held_out_loss():
    model, meta = _train(TrainConfig(**TINY))
    history = meta["training"]["history"]
    assert history[0]["epoch"] == 0 and history[-1]["epoch"] == 2
    assert min(h["synthetic_loss"] for h in history[1:]) < history[0]["synthetic_loss"]
    assert len(meta["hour_of_week_profile"]) == 168 and len(meta["training"]["fingerprint"]) == 64
    assert meta["training"]["seconds"] > 0 and meta["training"]["threads"] == TINY["threads"]


def test_training_is_deterministic_with_a_seed():
    config = TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 3})
    first, meta_a = _train(config)
    second, meta_b = _train(config)
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        assert torch.equal(a, b), name
    assert meta_a["training"]["fingerprint"] == meta_b["training"]["fingerprint"]


def test_weight_average_ships_the_moving_average_of_the_same_run():
    config = dict(TINY, epochs=1, steps_per_epoch=4)
    plain, _ = _train(TrainConfig(**config))
    follows, _ = _train(TrainConfig(**config, weight_average=1e-6))   # ~ the last step
    averaged, meta = _train(TrainConfig(**config, weight_average=0.9))
    assert meta["training"]["config"]["weight_average"] == 0.9
    for name, weights in plain.state_dict().items():
        assert torch.allclose(follows.state_dict()[name], weights, atol=1e-5), name
    assert any(not torch.allclose(averaged.state_dict()[name], weights, atol=1e-5)
               for name, weights in plain.state_dict().items())


@pytest.mark.parametrize("text", ["0", "1", "1.5", "-0.2", "x"])
def test_train_command_refuses_a_decay_outside_0_to_1(text, capsys):
    with pytest.raises(SystemExit):
        _parse(train_cli, ["--weight-average", text])
    assert "--weight-average" in capsys.readouterr().err


def _parse(module, argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "load.csv"
    values, _ = generate_set(5, 2, 2000)
    stamps = np.datetime64("2024-01-01T00") + np.arange(2000).astype("timedelta64[h]")
    rows = [f"{str(t).replace('T', ' ')}:00:00,{a:.3f},{b:.3f}" for t, a, b in zip(stamps, *values)]
    path.write_text("timestamp,alpha,beta\n" + "\n".join(rows) + "\n")
    return path


def test_train_command_writes_artifacts_that_serve(tmp_path, small_csv, capsys):
    out = tmp_path / "model"
    args = _parse(train_cli, ["--out", str(out), "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8",
                              "--synthetic-series", "4", "--synthetic-hours", "1000", "--real-csv", str(small_csv),
                              "--hidden-size", "8", "--head-hidden", "8", "--threads", "1", "--version", "t",
                              "--no-evaluate", "--blend-median3", "0.25", "--fallback-to-seasonal-naive",
                              "--fallback-fade-hours", "24:72", "--fallback-max-week-change", "0.2",
                              "--clean-days-threshold", "0.1", "--train-on-cleaned-days",
                              "--level-persistence-floor", "0.3", "--fallback-level-gate", "0.5:0.03",
                              "--level-scale", "--generator-version", "2"])
    assert train_cli.run(args) == 0
    printed = capsys.readouterr().out
    assert "epoch=1" in printed and "trained in " in printed and "min on 1 thread\n" in printed
    fc = load_forecaster(out)
    assert fc.info["loaded"] and fc.info["version"] == "t" and fc.info["serving"]["fallback_to_seasonal_naive"]
    meta = json.loads((out / "model.json").read_text())
    assert "first 65%" in meta["training"]["data"] and meta["serving"]["blend_median3"] == 0.25
    assert meta["serving"]["fallback_to_seasonal_naive"] is True and meta["serving"]["fallback_fade_hours"] == [24, 72]
    assert fc.info["serving"]["fallback_fade_hours"] == [24, 72]
    assert meta["serving"]["fallback_max_week_change"] == 0.2 and fc.info["serving"]["fallback_max_week_change"] == 0.2
    assert meta["serving"]["clean_days_threshold"] == 0.1 and fc.info["serving"]["clean_days_threshold"] == 0.1
    assert meta["serving"]["level_persistence_floor"] == 0.3 and fc.info["serving"]["level_persistence_floor"] == 0.3
    assert meta["serving"]["fallback_level_gate"] == [0.5, 0.03] and fc.info["serving"]["fallback_level_gate"] == [0.5, 0.03]
    assert meta["training"]["config"]["train_on_cleaned_days"] is True
    assert meta["training"]["config"]["generator_version"] == 2
    assert set(meta["training"]["config"]) == {f.name for f in fields(TrainConfig)}
    assert meta["serving"] == ServingConfig(fallback_to_seasonal_naive=True, fallback_fade_hours=(24, 72), fallback_max_week_change=0.2, fallback_level_gate=(0.5, 0.03), clean_days_threshold=0.1, level_persistence_floor=0.3, blend_median3=0.25).as_dict()
    recorded = meta["training"]["config"]["real_csv"]                # relative to the repository root
    assert not Path(recorded).is_absolute() and (ROOT / recorded).resolve() == small_csv.resolve()
    assert absolute_paths(meta) == []
    assert meta["hparams"]["level_scale"] is True                 # rebuilt with its 4-output head, strict
    history = np.tile(np.arange(24.0) + 5, 28)
    assert np.all(np.isfinite(fc.forecast([history], [dt.datetime(2024, 1, 7, 23)], 24)[0].median))


def test_a_training_run_records_its_whole_config_and_every_serving_option():
    config = TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 1, "exclude_targets": ["2016-01-01:2016-01-02"]})
    _, meta = _train(config)
    assert TrainConfig(**json.loads(json.dumps(meta["training"]["config"]))) == config   # rebuilds the run
    assert meta["serving"] == ServingConfig().as_dict()                # every option, off ones as None
    assert ServingConfig.from_mapping(meta["serving"]) == ServingConfig()


def test_an_artifact_with_every_serving_option_off_serves(tmp_path):
    model, meta = _train(TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 1}))
    save_native(model, meta, tmp_path)
    assert load_forecaster(tmp_path, device="cpu").info["loaded"]


def test_train_command_refuses_cleaned_training_without_a_threshold(tmp_path, capsys):
    args = _parse(train_cli, ["--out", str(tmp_path / "m"), "--train-on-cleaned-days"])
    assert train_cli.run(args) == 2
    assert "--train-on-cleaned-days needs --clean-days-threshold" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("text", ["72:24", "24", "a:b", "0:72", "24:200"])
def test_train_command_refuses_a_fade_it_cannot_serve(text, capsys):
    with pytest.raises(SystemExit):
        _parse(train_cli, ["--fallback-fade-hours", text])
    assert "--fallback-fade-hours" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--fallback-max-week-change", "--clean-days-threshold"])
@pytest.mark.parametrize("text", ["0", "-0.1", "x", "inf", "nan"])
def test_train_command_refuses_a_share_that_is_not_positive(option, text, capsys):
    with pytest.raises(SystemExit):
        _parse(train_cli, [option, text])
    assert option in capsys.readouterr().err


def test_short_horizon_weight_favours_the_first_day_of_the_loss():
    assert horizon_weights(1.0) is None                           # uniform: the plain mean
    weights = horizon_weights(3.0)
    assert torch.isclose(weights.mean(), torch.tensor(1.0)) and torch.isclose(weights[0] / weights[-1], torch.tensor(3.0))
    target = torch.zeros(2, 168)
    early, late = torch.zeros(2, 168, 3), torch.zeros(2, 168, 3)
    early[:, :24], late[:, -24:] = 1.0, 1.0                       # the same error, first day vs last day
    assert pinball_loss(early, target, horizon_weights=weights) > pinball_loss(late, target, horizon_weights=weights)
    assert torch.isclose(pinball_loss(early, target), pinball_loss(late, target))


def test_mase_loss_divides_each_example_by_its_naive_error():
    rng = np.random.default_rng(0)
    steady = 100 + 5 * np.sin(np.arange(672) * 2 * np.pi / 24)   # repeats exactly: floored scale
    noisy = steady * rng.lognormal(0, 0.2, 672)
    scales = naive_scales(np.stack([steady, noisy]), np.array([steady.mean(), noisy.mean()]))
    assert scales[0] == pytest.approx(NAIVE_SCALE_FLOOR) and scales[1] > 5 * NAIVE_SCALE_FLOOR
    target, predicted = torch.zeros(2, 168), torch.ones(2, 168, 3)   # the same error on both
    per_example = pinball_loss(predicted, target, example_scale=torch.from_numpy(scales))
    plain = pinball_loss(predicted, target)
    assert per_example == pytest.approx(float(plain) * float(np.mean(1 / scales)), rel=1e-5)


def test_cleaned_training_contexts_hide_an_anomalous_day_but_keep_the_raw_naive_scale():
    week = 100 + 60 * np.sin(2 * np.pi * np.arange(168) / 24) + np.arange(168) % 7
    regular = np.tile(week, 12)
    holiday = regular.copy()
    holiday[1000:1024] *= 0.3                                     # one day at 30%, well inside the series
    draw = dict(rng=None, size=512, head_features=12)
    examples = {}
    for name, series, clean in (("regular", regular, None), ("raw", holiday, None), ("cleaned", holiday, 0.1)):
        draw["rng"] = np.random.default_rng(3)                    # the same 64 draws from each pool
        examples[name] = _examples(SeriesPool.build([([series], [0], 1.0)]), clean_days=clean, **draw)
    lasts = SeriesPool.build([([holiday], [0], 1.0)]).draw(np.random.default_rng(3), 512)[2]
    # Days are the 24-hour blocks ending at a context's last hour: only where those start at midnight is
    # the holiday one whole day. It is kept where it is the context's last day.
    kept = torch.from_numpy((lasts % 24 != 23) | ((lasts >= 1000) & (lasts < 1024 + 23)))
    window, future, _, naive = (t[~kept] for t in examples["cleaned"])
    regular_window, regular_future, _, regular_naive = (t[~kept] for t in examples["regular"])
    sees = (examples["raw"][1][~kept][..., :3] != regular_future[..., :3]).any(dim=(1, 2))  # in a lag
    assert sees.sum() >= 10
    assert torch.equal(future[..., :3], regular_future[..., :3])   # gone from every lag
    assert torch.equal(window, regular_window)
    assert torch.all(naive[sees] > regular_naive[sees])           # scored as MASE scores it: on the raw context


def test_excluded_target_spans_never_reach_a_drawn_target_but_may_sit_in_its_context():
    first = int(np.datetime64("2024-01-01T00", "h").astype(np.int64))
    (since, to), = excluded_spans(["2024-02-01:2024-02-10"])
    assert to - since == 10 * 24 and since == int(np.datetime64("2024-02-01T00", "h").astype(np.int64))
    values = np.arange(1.0, 3001.0)
    pool = SeriesPool.build([([values], [first], 1.0)], ((since, to),))
    _, targets, lasts = pool.draw(np.random.default_rng(0), 3000)
    target_first = lasts + 1
    assert not np.any((target_first < to) & (target_first + 168 > since))
    assert np.any((target_first >= to) & (target_first - 672 < since))       # the span in a context is fine
    assert np.all(targets[:, 0] == values[target_first - first])
    unblocked = SeriesPool.build([([values], [first], 1.0)]).draw(np.random.default_rng(0), 3000)[2] + 1
    assert np.any((unblocked < to) & (unblocked + 168 > since))              # without it they do occur


@pytest.mark.parametrize("spec", ["2024-02-10:2024-02-01", "2024-02-01", "Feb:Mar"])
def test_train_command_names_a_bad_exclude_span(spec, tmp_path, capsys):
    args = _parse(train_cli, ["--out", str(tmp_path / "m"), "--exclude-targets", spec])
    assert train_cli.run(args) == 2
    assert "exclude_targets" in capsys.readouterr().err and not (tmp_path / "m").exists()


def test_train_command_refuses_a_blend_outside_0_to_1(capsys):
    with pytest.raises(SystemExit):
        _parse(train_cli, ["--blend-median3", "1.5"])
    assert "blend_median3" in capsys.readouterr().err


def test_holiday_folds_cover_every_holiday_case_target(tmp_path):
    from experiments import validation as validate_model

    stamps = np.datetime64("2013-01-01T00") + np.arange(8760).astype("timedelta64[h]")
    path = tmp_path / "year.csv"
    path.write_text("timestamp,x\n" + "\n".join(f"{str(t).replace('T', ' ')}:00:00,{i % 24}"
                                                 for i, t in enumerate(stamps)) + "\n")
    cases = validate_model.holiday_cases(str(path))
    assert len(cases.labels) == 27 * len(validate_model.HOLIDAY_FOLDS)      # every 12 h over 14 days
    spans = excluded_spans(validate_model.fold_spans())
    first_target = cases.lasts + 1
    inside = [any(since <= t and t + 168 <= to for since, to in spans) for t in first_target]
    assert all(inside)
    np.testing.assert_array_equal(cases.actuals[:, 0], (first_target % 24).astype(float))   # aligned in time
