"""`capplan train`: train the forecasting network and write its artifacts (safetensors + JSON).

The flags are generated from ``TrainConfig`` (recorded in model.json's ``training.config``) and from
``ServingConfig`` (recorded as its ``serving`` options).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

from experiments.config_flags import add_flags, given
from models.serving_config import ServingConfig
from models.training import TrainConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="artifact directory (default: the shipped models/artifacts)")
    parser.add_argument("--version", default=None, help="version string stored in the artifact")
    parser.add_argument("--no-evaluate", action="store_true",
                        help="skip the held-out rolling-origin evaluation stored in the artifact")
    add_flags(parser.add_argument_group("training, recorded in model.json's training.config"), TrainConfig)
    add_flags(parser.add_argument_group("serving options, recorded in model.json's serving"), ServingConfig)


def configs(args: argparse.Namespace) -> tuple[TrainConfig, ServingConfig]:
    """The run's configs from parsed flags, with the real CSV found and recorded relative to the repository root.

    Raises ValueError for what no single flag can check: a bad span, cleaned training without a threshold.
    """
    from experiments.data_paths import recorded, resolve
    from experiments.training_data import excluded_spans

    config, serving = TrainConfig(**given(TrainConfig, args)), ServingConfig(**given(ServingConfig, args))
    excluded_spans(config.exclude_targets)
    if config.train_on_cleaned_days and serving.clean_days_threshold is None:
        raise ValueError("--train-on-cleaned-days needs --clean-days-threshold")
    csv = config.real_csv or None                                 # '' or off: generated data only
    if csv is not None and not resolve(csv).is_file():
        print(f"warning: {csv} not found: training on generated data only", file=sys.stderr)
        csv = None
    return dataclasses.replace(config, real_csv=None if csv is None else recorded(resolve(csv))), serving


def run(args: argparse.Namespace) -> int:
    from experiments.data_paths import resolve
    from experiments.evaluation import held_out_report
    from experiments.training_data import training_data
    from models.artifacts import save_native
    from models.serving import SHIPPED_DIR, forecaster_from_model
    from models.training import train

    try:
        config, serving = configs(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model, meta = train(config, training_data(config), serving, log=lambda line: print(line, flush=True))
    threads = meta["training"]["threads"]
    print(f"trained in {meta['training']['seconds'] / 60:.1f} min on {threads} thread{'s' * (threads != 1)}",
          flush=True)
    if args.version:
        meta["version"] = args.version
    if not args.no_evaluate and config.real_csv:
        forecaster = forecaster_from_model(model, meta, overrides=serving.as_dict())   # as model.json records
        meta["backtest"] = held_out_report(forecaster, resolve(config.real_csv))
        print("held-out backtest:", meta["backtest"]["summary"], flush=True)
    out = save_native(model, meta, args.out or SHIPPED_DIR)
    print(f"wrote {out}", file=sys.stderr)
    return 0
