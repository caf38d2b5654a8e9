"""`capplan train` and validation flags: generated from TrainConfig's and ServingConfig's fields, checked by them."""
from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from experiments import train_cli, validation
from experiments.config_flags import given
from experiments.generator import GENERATOR_VERSION
from models.serving_config import ServingConfig
from models.training import TrainConfig
from tests.test_model_training import _parse


def test_train_flags_are_the_configs_fields_under_their_usual_names():
    parser = argparse.ArgumentParser()
    train_cli.add_arguments(parser)
    flags = {option for action in parser._actions for option in action.option_strings}
    usual = ("--out --seed --epochs --steps-per-epoch --batch-size --learning-rate --synthetic-series "
             "--synthetic-hours --generator-version --real-csv --real-share --hidden-size --head-hidden "
             "--head-features --head-base --short-horizon-weight --level-scale --mase-loss --exclude-targets "
             "--blend-median3 --fallback-to-seasonal-naive --fallback-fade-hours --fallback-max-week-change "
             "--clean-days-threshold --seasonal-trend-margin --level-persistence-floor --fallback-level-gate "
             "--train-on-cleaned-days --weight-average --threads --version --no-evaluate").split()
    assert set(usual) <= flags and len(usual) == 32
    for config in (TrainConfig, ServingConfig):
        for f in fields(config):
            assert "--" + f.name.replace("_", "-") in flags and f.metadata.get("help"), f.name
    assert not {f.name for f in fields(TrainConfig)} & {f.name for f in fields(ServingConfig)}
    args = parser.parse_args([])
    assert TrainConfig(**given(TrainConfig, args)) == TrainConfig()
    assert TrainConfig().generator_version == GENERATOR_VERSION
    assert ServingConfig(**given(ServingConfig, args)) == ServingConfig()


def test_train_flags_spell_off_pairs_and_negated_switches():
    args = _parse(train_cli, ["--weight-average", "off", "--real-csv", "off", "--no-mase-loss", "--level-scale",
                              "--fallback-level-gate", "0.3:0.03", "--seasonal-trend-margin", "off",
                              "--exclude-targets", "2013-02-12:2013-03-03",
                              "--exclude-targets", "2013-05-21:2013-06-09"])
    config, serving = TrainConfig(**given(TrainConfig, args)), ServingConfig(**given(ServingConfig, args))
    assert config.weight_average is None and config.real_csv is None and not config.mase_loss and config.level_scale
    assert config.exclude_targets == ("2013-02-12:2013-03-03", "2013-05-21:2013-06-09")
    assert serving.fallback_level_gate == (0.3, 0.03) and serving.seasonal_trend_margin is None


@pytest.mark.parametrize("option, good, bad", [
    ("--seasonal-trend-margin", {"0.25": 0.25, "0": 0.0}, ("1", "-0.5", "inf", "x")),
    ("--level-persistence-floor", {"0.3": 0.3, "0": 0.0}, ("1", "-0.5", "inf", "x")),
    ("--clean-days-threshold", {"0.1": 0.1, "OFF": None}, ("0", "-0.1", "inf", "nan", "x")),
    ("--fallback-level-gate", {"0.5:0.03": (0.5, 0.03), "off": None}, ("0.5", "1:0.03", "0.5:0", "a:b", "inf")),
    ("--fallback-fade-hours", {"24:72": (24, 72)}, ("72:24", "off", "24:200")),
    ("--head-features", {"12": 12}, ("10",)),
])
def test_serving_and_training_flags_check_values_as_their_config_does(option, good, bad, capsys):
    dest = option[2:].replace("-", "_")
    for text, value in good.items():
        assert getattr(_parse(train_cli, [option, text]), dest) == value
    for text in bad:
        with pytest.raises(SystemExit):
            _parse(train_cli, [option, text])
        assert option in capsys.readouterr().err


def test_validation_overrides_only_the_serving_options_given():
    parser = validation.build_parser()
    assert given(ServingConfig, parser.parse_args(["models/artifacts"])) == {}   # each option as stored
    args = parser.parse_args(["--level-persistence-floor", "off", "--fallback-fade-hours", "12:48",
                              "--no-fallback-to-seasonal-naive", "a", "b"])
    assert args.model_dirs == ["a", "b"]
    assert given(ServingConfig, args) == {"level_persistence_floor": None, "fallback_fade_hours": (12, 48),
                                          "fallback_to_seasonal_naive": False}
