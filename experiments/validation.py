"""Compare model directories on validation data only: how a candidate model or serving option is chosen.

Run: .venv/bin/python benchmarks/validate_model.py DIR [DIR ...] [--origins 24]

Validation data never overlaps what bench_model.py scores (the held-out last 35% of the flight series and
the generated set seeded SYNTHETIC_HELD_OUT_SEED), and the network never trains on it:
- flights: rolling origins whose 168-hour targets lie in the 57%..65% slice of each series (training
  uses the first 57%, see experiments.training_data.VALIDATION_SHARE);
- generated: 960 cases from ten seeds training never uses (VALIDATION_SEED onwards; one set's 96 cases are
  too few: across the ten, one set's 24 h ratio has a standard deviation of 0.07);
- flights-holidays: origins every 12 hours from 6 days before to 7 days after three holidays of the
  training stretch (HOLIDAY_FOLDS). Every model trains on these weeks unless trained with
  `--exclude-targets` for each span `--print-folds` prints; only such fold models compare fairly here.
  The summer slice has no holiday, and holidays are what makes the held-out stretch hard.

Each serving option of ``ServingConfig`` is a flag that overrides the stored value (``off`` switches it off).
`--stress` also scores each model on load shapes outside the generator (experiments/stress_families.py)
against weekly and daily seasonal naive and MSTL: how far a model generalises, not part of the rule.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from experiments.config_flags import add_flags, given
from experiments.data_paths import resolve
from experiments.evaluation import Origins, evaluate, rolling_origins, synthetic_cases
from experiments.generator import GENERATOR_VERSION, VERSIONS
from experiments.hourly_csv import read_hourly_csv
from experiments.training_data import VALIDATION_SHARE
from models.dataset import FLIGHTS_CSV, TRAIN_SHARE
from models.features import CONTEXT_HOURS, DAY, HORIZON_HOURS
from models.serving import load_forecaster
from models.serving_config import ServingConfig

VALIDATION_SEED = 4242
HOLIDAY_FOLDS = ("2013-02-18", "2013-05-27", "2013-07-04")   # Presidents' Day, Memorial Day, Independence Day
GENERATED_SEEDS = 10   # 960 generated cases: with one set (96) its 24 h ratio moved by 0.07 from seed to seed
FOLD_DAYS = (-6, 7)   # origins from 6 days before to 7 days after each holiday, every 12 hours


def fold_spans() -> list[str]:
    """The training ``--exclude-targets`` spans that keep every holiday case's target out of training."""
    days = [np.datetime64(h, "D") for h in HOLIDAY_FOLDS]
    last_target_day = FOLD_DAYS[1] + HORIZON_HOURS // DAY - 1
    return [f"{d + FOLD_DAYS[0]}:{d + last_target_day}" for d in days]


def holiday_cases(csv: str) -> Origins:
    """Forecasts around the training stretch's holidays, 672 hours of history each."""
    columns, first = read_hourly_csv(csv)
    hists, acts, lasts, labels = [], [], [], []
    for name, values in columns.items():
        validation_start = int(len(values) * (TRAIN_SHARE - VALIDATION_SHARE))
        for holiday in HOLIDAY_FOLDS:
            day = int(np.datetime64(holiday, "D").astype(np.int64)) * DAY - first    # index of its hour 0
            for start in range(day + FOLD_DAYS[0] * DAY, day + FOLD_DAYS[1] * DAY + 1, 12):
                if start < CONTEXT_HOURS or start + HORIZON_HOURS > validation_start:
                    raise ValueError(f"{holiday}: its cases must lie inside the training stretch")
                hists.append(values[start - CONTEXT_HOURS:start]), acts.append(values[start:start + HORIZON_HOURS])
                lasts.append(first + start - 1), labels.append(f"{name}@{holiday}{start - day:+d}h")
    return Origins(np.stack(hists), np.stack(acts), np.asarray(lasts, dtype=np.int64), labels)


def generated_cases(seeds: int, version: int = GENERATOR_VERSION) -> Origins:
    """``seeds`` generated sets of 96 cases, seeded VALIDATION_SEED, VALIDATION_SEED + 1, ..."""
    return Origins.concat([synthetic_cases(seed=VALIDATION_SEED + k, version=version) for k in range(seeds)])


def stress_report(label: str, forecaster, seed: int | None = None, n_series: int = 40) -> None:
    """Per stress family and horizon: MASE of the model and the classical baselines, and their ratio."""
    from experiments.stress_families import FAMILIES, STRESS_SEED, stress_cases

    ratios = []
    for family in FAMILIES:
        report = evaluate(forecaster, stress_cases(family, n_series, STRESS_SEED if seed is None else seed),
                          with_mstl=True)
        for h, r in report["horizons"].items():
            classical = {k[5:]: v for k, v in r.items() if k.startswith("mase_") and k != "mase_model"}
            best = min(classical, key=classical.get)
            ratios.append(r["mase_model"] / classical[best])
            print(f"{label:<40} stress {family:<12} {h:>4} model {r['mase_model']:6.3f} "
                  + " ".join(f"{k.replace('seasonal_naive_', '')} {v:6.3f}" for k, v in classical.items())
                  + f" model/best {ratios[-1]:6.3f} cover {r['coverage_10_90']:5.3f}")
    print(f"{label:<40} stress: mean model/best classical over {len(ratios)} figures: {np.mean(ratios):.4f}")


def flight_validation_cases(csv: str, origins: int) -> Origins:
    """Origins whose targets lie inside the validation slice of each series (the held-out 35% cut off)."""
    columns, first = read_hourly_csv(csv)
    cut = {name: values[: int(len(values) * TRAIN_SHARE)] for name, values in columns.items()}
    share = VALIDATION_SHARE / TRAIN_SHARE                        # the slice, as a share of what is left
    return rolling_origins(cut, first, origins, held_out=share)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dirs", nargs="*")
    parser.add_argument("--origins", type=int, default=24, help="origins per flight series")
    parser.add_argument("--csv", type=resolve, default=FLIGHTS_CSV,
                        help="the flights CSV, relative to the repository root or the working directory")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fallback", choices=("stored", "both"), default="stored",
                        help="score each model with its stored fallback_to_seasonal_naive, or both off and on")
    parser.add_argument("--generated-seeds", type=int, default=GENERATED_SEEDS,
                        help="generated validation sets, 96 cases each, seeded VALIDATION_SEED onwards")
    parser.add_argument("--generator-version", type=int, choices=VERSIONS, default=GENERATOR_VERSION,
                        help="the generator version the generated validation sets come from")
    parser.add_argument("--stress", action="store_true",
                        help="also score each model on load shapes outside the generator, against MSTL too")
    parser.add_argument("--stress-seed", type=int, default=None,
                        help="draw the stress families from this seed instead of the one every choice was made on "
                             "(a fresh draw, to confirm a choice)")
    parser.add_argument("--stress-series", type=int, default=40, help="series per stress family")
    parser.add_argument("--print-folds", action="store_true",
                        help="print the capplan train arguments that hold the holiday cases out, and exit")
    add_flags(parser.add_argument_group("serving overrides", "each replaces the model's stored option; "
                                        "off switches it off"), ServingConfig, stored=True)
    return parser


def _label(directory: str, info: dict) -> str:
    """The model directory's tail and the serving options it ran with, as the report's first column."""
    fade = "{}:{}".format(*info["fallback_fade_hours"])
    if info["fallback_max_week_change"] is not None:
        fade += f"<{info['fallback_max_week_change']:g}"
    label = f"{directory[-28:]} fb={fade if info['fallback_to_seasonal_naive'] else 'off'}"
    if info["clean_days_threshold"] is not None:
        label += f" clean={info['clean_days_threshold']:g}"
    if info["seasonal_trend_margin"] is not None:
        label += f" st={info['seasonal_trend_margin']:g}"
    if info.get("level_persistence_floor") is not None:
        label += f" lp={info['level_persistence_floor']:g}"
    if info.get("fallback_level_gate") is not None:
        label += " gate={:g}:{:g}".format(*info["fallback_level_gate"])
    return label


def _score(label: str, forecaster, sets: dict[str, Origins]) -> None:
    """Each set's MASE at 24 h and 168 h against weekly naive's, and the mean ratio: the validation rule."""
    ratios = []
    for name, cases in sets.items():
        report = evaluate(forecaster, cases, with_mstl=False)
        for h, r in report["horizons"].items():
            model, naive = r["mase_model"], r["mase_seasonal_naive_weekly"]
            ratios.append(model / naive)
            print(f"{label:<40} {name:<16} {h:>4} {model:7.3f} {naive:7.3f} {model / naive:6.3f} "
                  f"{r['coverage_10_90']:6.3f}")
    print(f"{label:<40} mean ratio to weekly naive over the six figures: {sum(ratios) / len(ratios):.4f}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.print_folds:
        print(" ".join(f"--exclude-targets {span}" for span in fold_spans()))
        return 0
    torch.set_num_threads(args.threads)
    sets = {"flights-val": flight_validation_cases(args.csv, args.origins),
            "flights-holidays": holiday_cases(args.csv),
            "generated-val": generated_cases(args.generated_seeds, args.generator_version)}
    print(f"{'model':<40} {'set':<16} {'h':>4} {'model':>7} {'naive':>7} {'ratio':>6} {'cover':>6}")
    overrides = given(ServingConfig, args)
    variants = [{}] if args.fallback == "stored" else [{"fallback_to_seasonal_naive": on} for on in (False, True)]
    for directory in args.model_dirs:
        for variant in variants:
            forecaster = load_forecaster(directory, device="cpu", overrides={**overrides, **variant})
            if not forecaster.info["loaded"]:
                print(f"{directory}: not loaded: {forecaster.info['error']}")
                break
            label = _label(directory, forecaster.info["serving"])
            _score(label, forecaster, sets)
            if args.stress:
                stress_report(label, forecaster, args.stress_seed, args.stress_series)
    return 0
