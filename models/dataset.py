"""Training examples: hourly series (real CSV columns, generated ones) cut into context/target pairs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from models.features import CONTEXT_HOURS, HEAD_FEATURES_BASE, HORIZON_HOURS, build_inputs

TRAIN_SHARE = 0.65   # real series: the first 65% trains, the last 35% is held out for evaluation
FLIGHTS_CSV = "../shared/data/nyc_departures_hourly.csv"   # the real series, from the repository root


def fingerprint(parts: list) -> str:
    """SHA-256 over data arrays and config strings: what a model was trained on."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes() if isinstance(part, np.ndarray) else str(part).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class SeriesSet:
    """Hourly series of any lengths [T_i] and the epoch hour of each one's first value."""

    values: tuple[np.ndarray, ...] = ()
    starts: tuple[int, ...] = ()

    def __post_init__(self):
        if len(self.values) != len(self.starts):
            raise ValueError(f"{len(self.values)} series but {len(self.starts)} start hours")
        object.__setattr__(self, "values", tuple(np.asarray(v, dtype=np.float64) for v in self.values))
        object.__setattr__(self, "starts", tuple(int(s) for s in self.starts))


@dataclass(frozen=True)
class TrainingData:
    """What a training run learns from and selects its epoch on; the caller generates and reads it."""

    synthetic: SeriesSet                          # trains: 1 - real_share of the draws
    synthetic_validation: SeriesSet               # selects the epoch, never trains
    real: SeriesSet = SeriesSet()                 # trains: real_share of the draws
    real_validation: SeriesSet = SeriesSet()      # selects the epoch, never trains
    excluded: tuple[tuple[int, int], ...] = ()    # epoch-hour spans [from, to) no drawn target may touch
    source: str = "generated transaction load"    # recorded as model.json's training.data


@dataclass
class SeriesPool:
    """Series of possibly different lengths with their first epoch hours and a sampling weight each."""

    series: list[np.ndarray]
    starts: list[int]
    weights: np.ndarray
    blocked: tuple[tuple[int, int], ...] = ()   # epoch-hour spans [from, to) no drawn target may touch

    @classmethod
    def build(cls, groups: list[tuple[list[np.ndarray], list[int], float]],
              blocked: tuple[tuple[int, int], ...] = ()) -> "SeriesPool":
        """Each group (series, starts, share of the draws) is sampled in proportion to its share.

        ``blocked`` spans (validation folds) are kept out of every drawn target; contexts may include them.
        """
        series, starts, weights = [], [], []
        span = CONTEXT_HOURS + HORIZON_HOURS
        for values, firsts, share in groups:
            usable = [(v, s) for v, s in zip(values, firsts) if len(v) >= span]
            total = sum(len(v) - span + 1 for v, _ in usable)
            for v, s in usable:
                series.append(v), starts.append(int(s))
                weights.append(share * (len(v) - span + 1) / total)
        return cls(series, starts, np.asarray(weights) / np.sum(weights), tuple(blocked))

    def draw(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random (contexts [B, C], targets [B, H], last epoch hours [B]); all-zero contexts are redrawn."""
        contexts, targets, lasts = [], [], []
        while len(contexts) < size:
            k = rng.choice(len(self.series), p=self.weights)
            values = self.series[k]
            end = int(rng.integers(CONTEXT_HOURS, len(values) - HORIZON_HOURS + 1))
            context = values[end - CONTEXT_HOURS:end]
            first = self.starts[k] + end                          # epoch hour of the first target hour
            if any(first < to and first + HORIZON_HOURS > since for since, to in self.blocked):
                continue
            if context.max() > 0:
                contexts.append(context), targets.append(values[end:end + HORIZON_HOURS])
                lasts.append(self.starts[k] + end - 1)
        return np.stack(contexts), np.stack(targets), np.asarray(lasts, dtype=np.int64)


def make_batch(contexts: np.ndarray, targets: np.ndarray, lasts: np.ndarray,
               head_features: int = HEAD_FEATURES_BASE):
    """Network inputs plus targets in each window's normalised units: (window, future, target, scale)."""
    window, future, scale = build_inputs(contexts, lasts, head_features=head_features)
    return window, future, (targets / scale[:, None]).astype(np.float32), scale
