"""Training the multi-horizon network on series the caller gives it: generated load and a real training stretch."""
from __future__ import annotations

import copy
import datetime as dt
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
from tqdm import tqdm

from models.scoring import weekly_naive_mae
from models.transforms.clean_days import clean_weeks
from models.dataset import FLIGHTS_CSV, SeriesPool, SeriesSet, TrainingData, fingerprint, make_batch
from models.features import (CONTEXT_HOURS, DAY, HEAD_FEATURES_ALL, HEAD_FEATURES_BASE, HORIZON_HOURS, WEEK,
                             hour_of_week)
from models.network import HEAD_BASES, MultiHorizonForecaster
from models.serving_config import ServingConfig


def _option(default, help_text: str, metavar: str | None = None, choices: tuple | None = None):
    """A field with its command-line help beside it: `capplan train`'s flags are generated from these."""
    return field(default=default, metadata={"help": help_text, "metavar": metavar, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run is made from; each field is a `capplan train` flag and is recorded in model.json.

    The data fields (synthetic_*, generator_version, real_csv, exclude_targets) say how the caller built the
    ``TrainingData``; training itself reads only the arrays it is given.
    """

    seed: int = _option(7, "makes the run repeatable")
    epochs: int = _option(16, "passes of steps_per_epoch batches; the best epoch on validation ships")
    steps_per_epoch: int = _option(250, "optimiser steps per epoch")
    batch_size: int = _option(128, "examples per step")
    learning_rate: float = _option(2e-3, "peak learning rate of the one-cycle schedule")
    synthetic_series: int = _option(400, "generated series that train")
    synthetic_hours: int = _option(2400, "hours in each generated series")
    generator_version: int = _option(1, "the synthetic generator's version: 1, or 2 (adds wandering levels and "
                                        "fast growth)")
    real_csv: str | None = _option(FLIGHTS_CSV, "hourly CSV (timestamp + columns), relative to the repository "
                                                "root or the working directory; its first 65% trains; off for "
                                                "generated data only", "CSV")
    real_share: float = _option(0.45, "share of the draws that come from the real series")
    validation_size: int = _option(512, "examples in each fixed validation set")
    threads: int = _option(2, "torch threads")
    hidden_size: int = _option(128, "LSTM hidden size")
    head_hidden: int = _option(64, "quantile head width")
    head_features: int = _option(HEAD_FEATURES_BASE, "head inputs per target hour: 9, or 12 with the "
                                                     "recent-level features",
                                 choices=(HEAD_FEATURES_BASE, HEAD_FEATURES_ALL))
    short_horizon_weight: float = _option(1.0, "loss weight of hours 1..24 relative to 25..168")
    mase_loss: bool = _option(False, "divide each example's loss by its context's weekly-naive MAE (the MASE "
                                     "denominator)")
    head_base: str = _option("weekly", "what the head corrects: weekly seasonal naive, or its mean with the median "
                                       "of the values 1, 2 and 3 weeks back", choices=HEAD_BASES)
    level_scale: bool = _option(False, "the head also predicts a factor for weekly naive, so it can follow a "
                                       "moved level")
    exclude_targets: tuple[str, ...] = _option((), "date span (YYYY-MM-DD:YYYY-MM-DD) no training target may "
                                                   "touch, to hold a validation fold out; repeatable", "FROM:TO")
    train_on_cleaned_days: bool = _option(False, "train the network on contexts cleaned as "
                                                 "--clean-days-threshold cleans them at serving")
    weight_average: float | None = _option(None, "select and ship an exponential moving average of the weights, "
                                                 "updated every step with this decay (e.g. 0.998)", "DECAY")

    def __post_init__(self):
        object.__setattr__(self, "exclude_targets", tuple(self.exclude_targets))
        for f in fields(self):
            choices = f.metadata["choices"]
            if choices is not None and getattr(self, f.name) not in choices:
                raise ValueError(f"{f.name} must be one of {', '.join(map(str, choices))}, "
                                 f"got {getattr(self, f.name)!r}")
        if self.weight_average is not None and not 0.0 < self.weight_average < 1.0:
            raise ValueError(f"weight_average must lie strictly between 0 and 1, got {self.weight_average!r}")
        if not 0.0 <= self.real_share <= 1.0:
            raise ValueError(f"real_share must lie in 0..1, got {self.real_share!r}")


NAIVE_SCALE_FLOOR = 0.02   # normalised units (context mean 1): an exactly repeating context must not dominate


def pinball_loss(predicted: torch.Tensor, target: torch.Tensor, quantiles=(0.1, 0.5, 0.9),
                 horizon_weights: torch.Tensor | None = None,
                 example_scale: torch.Tensor | None = None) -> torch.Tensor:
    """Mean quantile loss: predicted [B, H, Q], target [B, H]; optional weights [H] with mean 1.

    ``example_scale`` [B] divides each example's loss (MASE-style scaling, as the evaluation scores).
    """
    q = torch.tensor(quantiles, dtype=predicted.dtype)            # [Q]
    error = target.unsqueeze(-1) - predicted                      # [B, H, Q]
    loss = torch.maximum(q * error, (q - 1) * error)              # [B, H, Q]
    if horizon_weights is not None:
        loss = loss * horizon_weights[:, None]
    if example_scale is not None:
        loss = loss / example_scale[:, None, None]
    return loss.mean()


def naive_scales(contexts: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """[B] in-sample weekly-naive MAE of each context in its normalised units, floored: the MASE denominator."""
    mae = weekly_naive_mae(contexts) / np.where(scale > 0, scale, 1.0)
    return np.maximum(mae, NAIVE_SCALE_FLOOR).astype(np.float32)


def _examples(pool: SeriesPool, rng: np.random.Generator, size: int, head_features: int,
              clean_days: float | None = None):
    """(window, future, target, naive scale) tensors of ``size`` random examples from ``pool``.

    With ``clean_days`` the network sees each context as serving's ``clean_days_threshold`` cleans it;
    the loss's naive scale stays the raw context's, as MASE scores it.
    """
    contexts, targets, lasts = pool.draw(rng, size)
    seen = contexts if clean_days is None else clean_weeks(contexts, clean_days)[0]
    window, future, target, scale = make_batch(seen, targets, lasts, head_features)
    return (torch.from_numpy(window), torch.from_numpy(future), torch.from_numpy(target),
            torch.from_numpy(naive_scales(contexts, scale)))


def horizon_weights(short_weight: float, horizon: int = HORIZON_HOURS) -> torch.Tensor | None:
    """[H] weights, hours 1..24 ``short_weight`` times the rest, mean 1; None when uniform."""
    if short_weight == 1.0:
        return None
    w = torch.ones(horizon)
    w[:DAY] = short_weight
    return w / w.mean()


def hour_of_week_profile(series: list[np.ndarray], starts: list[int]) -> np.ndarray:
    """Mean of each series' mean-normalised load per hour of week (Monday 00 first), averaged over series."""
    total = np.zeros(WEEK)
    for values, start in zip(series, starts):
        if values.mean() <= 0:
            continue
        how = hour_of_week(start + np.arange(len(values)))
        total += np.bincount(how, weights=values / values.mean(), minlength=WEEK) / np.bincount(how, minlength=WEEK)
    return total / max(total.mean(), 1e-12)


class _Validation:
    """Fixed validation batches: the held-out generated series and the real series' validation tail."""

    def __init__(self, pools: dict[str, SeriesPool], rng: np.random.Generator, size: int, head_features: int,
                 mase_loss: bool = False, clean_days: float | None = None):
        self.sets = {name: _examples(pool, rng, size, head_features, clean_days)
                     for name, pool in pools.items() if pool.series}
        self.mase_loss = mase_loss

    def evaluate(self, model: MultiHorizonForecaster) -> dict[str, float]:
        """Per set: the training loss, MAE against weekly naive's, mean MASE (24 h and 168 h), coverage."""
        model.eval()
        out = {}
        with torch.inference_mode():
            for name, (window, future, target, naive) in self.sets.items():
                pred = model(window, future)                      # [B, H, 3]
                error = (target - pred[..., 1]).abs()             # [B, H]
                out[f"{name}_loss"] = float(pinball_loss(pred, target, example_scale=naive if self.mase_loss else None))
                out[f"{name}_mae_vs_naive"] = float(error.mean() / (target - future[..., 0]).abs().mean())
                out[f"{name}_mase24"] = float((error[:, :DAY].mean(dim=1) / naive).mean())
                out[f"{name}_mase168"] = float((error.mean(dim=1) / naive).mean())
                out[f"{name}_coverage"] = float(((target >= pred[..., 0]) & (target <= pred[..., 2])).float().mean())
        model.train()
        return out


def _line(metrics: dict) -> str:
    return " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())


def _pool(sets: list[tuple[SeriesSet, float]], excluded: tuple[tuple[int, int], ...] = ()) -> SeriesPool:
    return SeriesPool.build([(list(s.values), list(s.starts), share) for s, share in sets if s.values], excluded)


class _Run:
    """One training run's moving parts: the sampled pool, the optimiser and its schedule, the weight average."""

    def __init__(self, model: MultiHorizonForecaster, config: TrainConfig, data: TrainingData,
                 clean_days: float | None):
        real_share = config.real_share if data.real.values else 0.0
        self.pool = _pool([(data.synthetic, 1.0 - real_share), (data.real, real_share)], data.excluded)
        self.model, self.config, self.clean_days = model, config, clean_days
        self.rng = np.random.default_rng(config.seed)
        self.weights = horizon_weights(config.short_horizon_weight)
        self.optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=1e-4)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(self.optimiser, config.learning_rate, pct_start=0.1,
                                                            total_steps=config.epochs * config.steps_per_epoch)
        self.average = (None if config.weight_average is None else torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.weight_average)))

    @property
    def scored(self) -> MultiHorizonForecaster:
        """The weights that would ship: the moving average where one is kept."""
        return self.model if self.average is None else self.average.module

    def epoch(self, number: int) -> float:
        """One epoch of steps; returns its mean training loss."""
        config, model = self.config, self.model
        model.train()
        bar = tqdm(range(config.steps_per_epoch), desc=f"epoch {number}/{config.epochs}", leave=False)
        running = 0.0
        for step in bar:
            window, future, target, naive = _examples(self.pool, self.rng, config.batch_size, config.head_features,
                                                      self.clean_days)
            loss = pinball_loss(model(window, future), target, model.quantiles, self.weights,
                                naive if config.mase_loss else None)
            self.optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            self.optimiser.step()
            self.schedule.step()
            if self.average is not None:
                self.average.update_parameters(model)
            running += loss.item()
            bar.set_postfix(loss=f"{running / (step + 1):.4f}")
        return running / config.steps_per_epoch


def train(config: TrainConfig, data: TrainingData, serving: ServingConfig = ServingConfig(),
          log=print) -> tuple[MultiHorizonForecaster, dict]:
    """Train from scratch; returns the best-validation model and the metadata for its artifact.

    ``serving`` is recorded as the artifact's serving options; with ``config.train_on_cleaned_days`` the
    network also trains on contexts cleaned by its ``clean_days_threshold``.
    """
    if config.train_on_cleaned_days and serving.clean_days_threshold is None:
        raise ValueError("train_on_cleaned_days needs a clean_days_threshold to clean with")
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    clean_days = serving.clean_days_threshold if config.train_on_cleaned_days else None
    validation = _Validation({"synthetic": _pool([(data.synthetic_validation, 1.0)]),
                              "real": _pool([(data.real_validation, 1.0)])},
                             np.random.default_rng(config.seed + 1), config.validation_size, config.head_features,
                             config.mase_loss, clean_days)
    model = MultiHorizonForecaster(hidden_size=config.hidden_size, head_hidden=config.head_hidden,
                                   head_features=config.head_features, base=config.head_base,
                                   level_scale=config.level_scale)
    run = _Run(model, config, data, clean_days)
    best, best_score = None, float("inf")
    history = [{"epoch": 0, **validation.evaluate(model)}]       # the untrained start, for comparison
    log(_line(history[0]))
    for epoch in range(1, config.epochs + 1):
        metrics = {"epoch": epoch, "train_loss": run.epoch(epoch), **validation.evaluate(run.scored)}
        score = sum(v for k, v in metrics.items() if k.endswith("_loss") and k != "train_loss")
        history.append(metrics)
        log(_line(metrics) + (" *" if score < best_score else ""))
        if score < best_score:
            best, best_score = copy.deepcopy(run.scored.state_dict()), score
    model.load_state_dict(best)
    model.eval()
    return model, _metadata(model, config, data, serving, history, time.perf_counter() - started)


def _metadata(model: MultiHorizonForecaster, config: TrainConfig, data: TrainingData, serving: ServingConfig,
              history: list[dict], seconds: float) -> dict:
    """model.json's content beside the hyperparameters: the whole recipe, its history and the serving options."""
    trained = data.synthetic.values + data.real.values
    profile = hour_of_week_profile(list(trained), list(data.synthetic.starts + data.real.starts))
    return {
        "name": "attention_bilstm",
        "version": dt.datetime.now(dt.timezone.utc).strftime("%Y.%m.%d.%H%M"),
        "quantiles": list(model.quantiles),
        "context_hours": CONTEXT_HOURS,
        "normalisation": "each context divided by its own mean over the last 672 hours; outputs multiplied back",
        "training": {"config": asdict(config), "steps": config.epochs * config.steps_per_epoch, "history": history,
                     "seconds": round(seconds, 1), "threads": torch.get_num_threads(),
                     "fingerprint": fingerprint([*trained, repr(asdict(config))]), "data": data.source},
        "serving": serving.as_dict(),
        "hour_of_week_profile": [round(float(v), 6) for v in profile],
    }
