"""`capplan train`: train the forecasting network and write its artifacts (safetensors + JSON)."""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from experiments.generator import VERSIONS
from models.training import TrainConfig

_DEFAULTS = TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="artifact directory (default: the shipped models/artifacts)")
    parser.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="makes the run repeatable")
    parser.add_argument("--epochs", type=int, default=_DEFAULTS.epochs)
    parser.add_argument("--steps-per-epoch", type=int, default=_DEFAULTS.steps_per_epoch)
    parser.add_argument("--batch-size", type=int, default=_DEFAULTS.batch_size)
    parser.add_argument("--learning-rate", type=float, default=_DEFAULTS.learning_rate)
    parser.add_argument("--synthetic-series", type=int, default=_DEFAULTS.synthetic_series)
    parser.add_argument("--synthetic-hours", type=int, default=_DEFAULTS.synthetic_hours)
    parser.add_argument("--generator-version", type=int, choices=VERSIONS, default=_DEFAULTS.generator_version,
                        help="the synthetic generator's version: 1 (what 1.0.0-1.5.0 trained on) or 2 "
                             "(adds wandering levels and fast growth)")
    parser.add_argument("--real-csv", default=_DEFAULTS.real_csv,
                        help="hourly CSV (timestamp + columns); its first 65%% trains. '' for generated data only")
    parser.add_argument("--real-share", type=float, default=_DEFAULTS.real_share)
    parser.add_argument("--hidden-size", type=int, default=_DEFAULTS.hidden_size, help="LSTM hidden size")
    parser.add_argument("--head-hidden", type=int, default=_DEFAULTS.head_hidden, help="quantile head width")
    parser.add_argument("--head-features", type=int, default=_DEFAULTS.head_features,
                        help="head inputs per target hour: 9, or 12 with the recent-level features")
    parser.add_argument("--head-base", choices=("weekly", "weekly+median3"), default=_DEFAULTS.head_base,
                        help="what the head corrects: weekly seasonal naive, or its mean with the median of "
                             "the values 1, 2 and 3 weeks back")
    parser.add_argument("--short-horizon-weight", type=float, default=_DEFAULTS.short_horizon_weight,
                        help="loss weight of hours 1..24 relative to 25..168")
    parser.add_argument("--level-scale", action="store_true",
                        help="the head also predicts a factor for weekly naive, so it can follow a moved level")
    parser.add_argument("--mase-loss", action="store_true",
                        help="divide each example's loss by its context's weekly-naive MAE (the MASE denominator)")
    parser.add_argument("--exclude-targets", action="append", default=[], metavar="FROM:TO",
                        help="date span (YYYY-MM-DD:YYYY-MM-DD) no training target may touch, to hold a "
                             "validation fold out; repeatable")
    parser.add_argument("--blend-median3", type=float, default=_DEFAULTS.blend_median3, metavar="W",
                        help="stored serving option: move each median (and its band) this share of the way "
                             "to the median of the values 1, 2 and 3 weeks back (0..1)")
    parser.add_argument("--fallback-to-seasonal-naive", action="store_true",
                        help="stored serving option: serve weekly seasonal naive for a series whose network "
                             "forecast of its own last week lost to weekly seasonal naive")
    parser.add_argument("--fallback-fade-hours", type=fade_hours, default=_DEFAULTS.fallback_fade_hours,
                        metavar="FULL:END",
                        help="stored serving option: the fallback serves weekly naive through hour FULL and fades "
                             "into the network by hour END (default 168:168, the whole week)")
    parser.add_argument("--fallback-max-week-change", type=positive_share,
                        default=_DEFAULTS.fallback_max_week_change, metavar="SHARE",
                        help="stored serving option: the fallback serves only series whose last week differs "
                             "from the week before by less than SHARE of its mean (default: no limit)")
    parser.add_argument("--clean-days-threshold", type=positive_share, default=_DEFAULTS.clean_days_threshold,
                        metavar="SHARE",
                        help="stored serving option: before forecasting, replace days of the last weeks whose total "
                             "departs from their weekday's median by more than SHARE (default: off)")
    parser.add_argument("--seasonal-trend-margin", type=margin_share, default=_DEFAULTS.seasonal_trend_margin,
                        metavar="SHARE",
                        help="stored serving option: serve the seasonal-trend forecast (weekly profile x last day's "
                             "level x damped trend) for a series whose backtest week it forecast better than both "
                             "the network and weekly naive by more than SHARE (default: off)")
    parser.add_argument("--level-persistence-floor", type=floor_share, default=_DEFAULTS.level_persistence_floor,
                        metavar="SHARE",
                        help="stored serving option: where the network serves, carry the last day's departure from "
                             "its weekday's usual total forward by its day-to-day persistence phi, with a share "
                             "rising from 0 at phi = SHARE to 1 at phi = 1 (default: off)")
    parser.add_argument("--fallback-level-gate", type=level_gate, default=_DEFAULTS.fallback_level_gate,
                        metavar="PERSISTENCE:SPREAD",
                        help="stored serving option: the fallback does not serve a series whose day totals' "
                             "departures from their weekday's usual level last (persistence above PERSISTENCE) "
                             "and wander (robust spread above SPREAD, in log units) (default: off)")
    parser.add_argument("--train-on-cleaned-days", action="store_true",
                        help="train the network on contexts cleaned as --clean-days-threshold cleans them at serving")
    parser.add_argument("--weight-average", type=decay_share, default=_DEFAULTS.weight_average, metavar="DECAY",
                        help="select and ship an exponential moving average of the weights, updated every step "
                             "with this decay (e.g. 0.998) (default: off)")
    parser.add_argument("--threads", type=int, default=_DEFAULTS.threads)
    parser.add_argument("--version", default=None, help="version string stored in the artifact")
    parser.add_argument("--no-evaluate", action="store_true",
                        help="skip the held-out rolling-origin evaluation stored in the artifact")


def fade_hours(text: str) -> tuple[int, int]:
    """``FULL:END`` -> (full, end), checked as the forecaster checks it."""
    from models.serving import fallback_shares

    try:
        full, end = (int(part) for part in text.split(":"))
        fallback_shares((full, end))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"FULL:END expected, got {text!r}: {exc}") from None
    return full, end


def level_gate(text: str) -> tuple[float, float]:
    """``PERSISTENCE:SPREAD`` -> (persistence, spread), checked as the forecaster checks it."""
    from models.level import check_level_gate

    try:
        gate = check_level_gate(tuple(float(part) for part in text.split(":")))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"PERSISTENCE:SPREAD expected, got {text!r}: {exc}") from None
    if gate is None:
        raise argparse.ArgumentTypeError(f"PERSISTENCE:SPREAD expected, got {text!r}")
    return gate


def positive_share(text: str) -> float:
    """A serving option's share, checked as the forecaster checks it (leaving the option out switches it off)."""
    from models.serving import check_share

    return _share(text, lambda value: check_share("the share", value), "a positive share")


def margin_share(text: str) -> float:
    """The seasonal-trend margin, checked as the forecaster checks it (leave the option out to switch it off)."""
    from models.serving import check_margin

    return _share(text, check_margin, "a share in [0, 1)")


def floor_share(text: str) -> float:
    """The level-persistence floor, checked as the forecaster checks it (leave the option out to switch it off)."""
    from models.serving import check_margin

    return _share(text, lambda value: check_margin(value, "level_persistence_floor"), "a share in [0, 1)")


def decay_share(text: str) -> float:
    """The weight average's decay: strictly between 0 and 1."""
    def check(value: float) -> float:
        if not 0.0 < value < 1.0:
            raise ValueError("the decay must lie strictly between 0 and 1")
        return value

    return _share(text, check, "a decay in (0, 1)")


def _share(text: str, check, expected: str) -> float:
    try:
        value = check(float(text))
        if value is None:
            raise ValueError("leave the option out to switch it off")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{expected} expected, got {text!r}: {exc}") from None
    return value


def run(args: argparse.Namespace) -> int:
    from models.artifacts import save_native
    from models.serving import SHIPPED_DIR
    from models.training import train

    names = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    config.exclude_targets = tuple(config.exclude_targets)
    try:
        from models.training import excluded_spans
        excluded_spans(config.exclude_targets)
        if not 0.0 <= config.blend_median3 <= 1.0:
            raise ValueError(f"blend_median3 must lie in 0..1, got {config.blend_median3}")
        if config.train_on_cleaned_days and config.clean_days_threshold is None:
            raise ValueError("--train-on-cleaned-days needs --clean-days-threshold")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not config.real_csv:
        config.real_csv = None
    elif not Path(config.real_csv).is_file():
        print(f"warning: {config.real_csv} not found: training on generated data only", file=sys.stderr)
        config.real_csv = None
    model, meta = train(config, log=lambda line: print(line, flush=True))
    threads = meta["training"]["threads"]
    print(f"trained in {meta['training']['seconds'] / 60:.1f} min on {threads} thread{'s' * (threads != 1)}",
          flush=True)
    if args.version:
        meta["version"] = args.version
    if not args.no_evaluate and config.real_csv:
        from experiments.evaluation import held_out_report
        meta["backtest"] = held_out_report(model, meta, config)
        print("held-out backtest:", meta["backtest"]["summary"], flush=True)
    out = save_native(model, meta, args.out or SHIPPED_DIR)
    print(f"wrote {out}", file=sys.stderr)
    return 0
