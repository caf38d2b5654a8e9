"""The data a training run learns from, built from its TrainConfig: generated series, a real CSV's training stretch."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.data_paths import resolve
from experiments.generator import generate_set
from experiments.hourly_csv import read_hourly_csv
from models.dataset import TRAIN_SHARE, SeriesSet, TrainingData
from models.features import CONTEXT_HOURS, DAY, HORIZON_HOURS
from models.training import TrainConfig

VALIDATION_SHARE = 0.08          # the last 8 points of the real training 65% validate instead of training
VALIDATION_SEED_OFFSET = 1_000_003   # the generated validation set's seed: the run's seed plus this
VALIDATION_SERIES = 64
VALIDATION_HOURS = CONTEXT_HOURS + 4 * HORIZON_HOURS


def excluded_spans(specs) -> tuple[tuple[int, int], ...]:
    """"YYYY-MM-DD:YYYY-MM-DD" (end day included) -> epoch-hour spans [from, to)."""
    spans = []
    for spec in specs:
        try:
            since, until = (np.datetime64(part.strip(), "D") for part in spec.split(":"))
        except ValueError:
            raise ValueError(f"exclude_targets: {spec!r} is not YYYY-MM-DD:YYYY-MM-DD") from None
        if until < since:
            raise ValueError(f"exclude_targets: {spec!r} ends before it starts")
        spans.append((int(since.astype(np.int64)) * DAY, (int(until.astype(np.int64)) + 1) * DAY))
    return tuple(spans)


def real_sets(csv: str | Path) -> tuple[SeriesSet, SeriesSet]:
    """(training stretch, validation stretch) of each column: the held-out last 35% is never returned.

    The validation stretch starts a context before its first target, so its targets lie after training's.
    """
    columns, first = read_hourly_csv(csv)
    train, val, train_starts, val_starts = [], [], [], []
    for values in columns.values():
        cut, val_cut = int(len(values) * TRAIN_SHARE), int(len(values) * (TRAIN_SHARE - VALIDATION_SHARE))
        train.append(values[:val_cut]), train_starts.append(first)
        val_from = max(0, val_cut - CONTEXT_HOURS)
        val.append(values[val_from:cut]), val_starts.append(first + val_from)
    return SeriesSet(train, train_starts), SeriesSet(val, val_starts)


def training_data(config: TrainConfig) -> TrainingData:
    """Generated training and validation sets from the config's seed, plus ``config.real_csv``'s stretches."""
    synthetic = SeriesSet(*generate_set(config.seed, config.synthetic_series, config.synthetic_hours,
                                        config.generator_version))
    validation = SeriesSet(*generate_set(config.seed + VALIDATION_SEED_OFFSET, VALIDATION_SERIES, VALIDATION_HOURS,
                                         config.generator_version))
    real, real_validation = real_sets(resolve(config.real_csv)) if config.real_csv else (SeriesSet(), SeriesSet())
    source = "generated transaction load"
    if real.values:
        source += f" + first {TRAIN_SHARE:.0%} of {Path(config.real_csv).name}"
    return TrainingData(synthetic, validation, real, real_validation, excluded_spans(config.exclude_targets), source)
