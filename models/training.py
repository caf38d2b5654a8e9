"""Training the multi-horizon network on generated load plus the first 65% of the real series."""
from __future__ import annotations

import copy
import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models.calibration import weekly_naive_mae
from models.cleaning import clean_weeks
from models.dataset import TRAIN_SHARE, SeriesPool, fingerprint, make_batch
from experiments.hourly_csv import read_hourly_csv
from models.features import CONTEXT_HOURS, DAY, HEAD_FEATURES_BASE, HORIZON_HOURS, WEEK, hour_of_week
from experiments.generator import GENERATOR_VERSION, generate_set
from models.network import MultiHorizonForecaster
from models.serving import WHOLE_WEEK_FALLBACK

VALIDATION_SHARE = 0.08   # the last 8 points of the real training 65% validate instead of training
DEFAULT_CSV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nyc_departures_hourly.csv"


@dataclass
class TrainConfig:
    seed: int = 7
    epochs: int = 16
    steps_per_epoch: int = 250
    batch_size: int = 128
    learning_rate: float = 2e-3
    synthetic_series: int = 400
    synthetic_hours: int = 2400
    generator_version: int = GENERATOR_VERSION   # 1: the generator 1.0.0-1.5.0 trained on
    real_csv: str | None = str(DEFAULT_CSV)
    real_share: float = 0.45        # share of the draws that come from the real series
    validation_size: int = 512
    threads: int = 2
    hidden_size: int = 128          # the shipped model's; tests train smaller ones
    head_hidden: int = 64
    head_features: int = HEAD_FEATURES_BASE   # HEAD_FEATURES_ALL adds the recent-level features
    short_horizon_weight: float = 1.0         # loss weight of hours 1..24 relative to 25..168
    mase_loss: bool = False                   # scale each example's loss by its context's weekly-naive MAE
    head_base: str = "weekly"                 # or "weekly+median3": see MultiHorizonForecaster
    level_scale: bool = False                 # the head also scales its base: see MultiHorizonForecaster
    exclude_targets: tuple[str, ...] = ()     # "YYYY-MM-DD:YYYY-MM-DD" spans no training target may touch
    blend_median3: float = 0.0                # serving: weight moving the median toward the 3-week median
    fallback_to_seasonal_naive: bool = False  # serving: weekly naive where the network lost its backtest week
    fallback_fade_hours: tuple[int, int] = WHOLE_WEEK_FALLBACK   # serving: naive through FULL, gone by END
    fallback_max_week_change: float | None = None   # serving: fall back only where weeks repeat closer than this
    clean_days_threshold: float | None = None       # serving: replace days this far from their weekday's median
    seasonal_trend_margin: float | None = None      # serving: seasonal-trend forecast where it won its backtest by this
    level_persistence_floor: float | None = None    # serving: carry lasting day-level departures above this
    fallback_level_gate: tuple[float, float] | None = None   # serving: no fallback where the day level lasts and wanders
    train_on_cleaned_days: bool = False             # the network also trains on contexts cleaned that way
    weight_average: float | None = None             # keep and select an exponential moving average of the weights


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


def _training_clean_days(config: "TrainConfig") -> float | None:
    """The threshold the network trains on cleaned contexts with, or None."""
    return config.clean_days_threshold if config.train_on_cleaned_days else None


def horizon_weights(short_weight: float, horizon: int = HORIZON_HOURS) -> torch.Tensor | None:
    """[H] weights, hours 1..24 ``short_weight`` times the rest, mean 1; None when uniform."""
    if short_weight == 1.0:
        return None
    w = torch.ones(horizon)
    w[:DAY] = short_weight
    return w / w.mean()


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


def _real_series(config: TrainConfig):
    """(train series, validation series, starts each): the held-out last 35% is never returned."""
    if not config.real_csv:
        return [], [], [], []
    columns, first = read_hourly_csv(config.real_csv)
    train, val, train_starts, val_starts = [], [], [], []
    for values in columns.values():
        cut, val_cut = int(len(values) * TRAIN_SHARE), int(len(values) * (TRAIN_SHARE - VALIDATION_SHARE))
        train.append(values[:val_cut]), train_starts.append(first)
        val_from = max(0, val_cut - CONTEXT_HOURS)                # validation targets lie after val_cut
        val.append(values[val_from:cut]), val_starts.append(first + val_from)
    return train, val, train_starts, val_starts


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


def train(config: TrainConfig, log=print) -> tuple[MultiHorizonForecaster, dict]:
    """Train from scratch; returns the best-validation model and the metadata for its artifact."""
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    synthetic, synthetic_starts = generate_set(config.seed, config.synthetic_series, config.synthetic_hours,
                                               config.generator_version)
    held_out, held_out_starts = generate_set(config.seed + 1_000_003, 64, CONTEXT_HOURS + 4 * HORIZON_HOURS,
                                             config.generator_version)
    real, real_val, real_starts, real_val_starts = _real_series(config)
    groups = [(list(synthetic), list(synthetic_starts), 1.0 - (config.real_share if real else 0.0))]
    if real:
        groups.append((real, real_starts, config.real_share))
    pool = SeriesPool.build(groups, excluded_spans(config.exclude_targets))
    validation = _Validation({"synthetic": SeriesPool.build([(list(held_out), list(held_out_starts), 1.0)]),
                              "real": SeriesPool.build([(real_val, real_val_starts, 1.0)])},
                             np.random.default_rng(config.seed + 1), config.validation_size, config.head_features,
                             config.mase_loss, _training_clean_days(config))

    model = MultiHorizonForecaster(hidden_size=config.hidden_size, head_hidden=config.head_hidden,
                                   head_features=config.head_features, base=config.head_base,
                                   level_scale=config.level_scale)
    weights = horizon_weights(config.short_horizon_weight)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    total = config.epochs * config.steps_per_epoch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, total_steps=total,
                                                   pct_start=0.1)
    average = (None if config.weight_average is None else torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.weight_average)))
    best, best_score = None, float("inf")
    history = [{"epoch": 0, **validation.evaluate(model)}]       # the untrained start, for comparison
    log(_line(history[0]))
    for epoch in range(1, config.epochs + 1):
        model.train()
        bar = tqdm(range(config.steps_per_epoch), desc=f"epoch {epoch}/{config.epochs}", leave=False)
        running = 0.0
        for step in bar:
            window, future, target, naive = _examples(pool, rng, config.batch_size, config.head_features,
                                                      _training_clean_days(config))
            loss = pinball_loss(model(window, future), target, model.quantiles, weights,
                                naive if config.mase_loss else None)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            if average is not None:
                average.update_parameters(model)
            running += loss.item()
            bar.set_postfix(loss=f"{running / (step + 1):.4f}")
        scored = model if average is None else average.module     # the averaged weights are what would ship
        metrics = {"epoch": epoch, "train_loss": running / config.steps_per_epoch, **validation.evaluate(scored)}
        score = sum(v for k, v in metrics.items() if k.endswith("_loss") and k != "train_loss")
        history.append(metrics)
        log(_line(metrics) + (" *" if score < best_score else ""))
        if score < best_score:
            best, best_score = copy.deepcopy(scored.state_dict()), score
    model.load_state_dict(best)
    model.eval()
    profile = hour_of_week_profile(list(synthetic) + real, list(synthetic_starts) + real_starts)
    meta = {
        "name": "attention_bilstm",
        "version": dt.datetime.now(dt.timezone.utc).strftime("%Y.%m.%d.%H%M"),
        "quantiles": list(model.quantiles),
        "context_hours": CONTEXT_HOURS,
        "normalisation": "each context divided by its own mean over the last 672 hours; outputs multiplied back",
        "training": {"config": asdict(config), "steps": total, "history": history,
                     "seconds": round(time.perf_counter() - started, 1), "threads": torch.get_num_threads(),
                     "fingerprint": fingerprint([synthetic, *real, repr(asdict(config))]),
                     "data": "generated transaction load" + (f" + first {TRAIN_SHARE:.0%} of {Path(config.real_csv).name}"
                                                             if real else "")},
        "serving": {"fallback_to_seasonal_naive": config.fallback_to_seasonal_naive,
                    "fallback_fade_hours": list(config.fallback_fade_hours),
                    "fallback_max_week_change": config.fallback_max_week_change,
                    "clean_days_threshold": config.clean_days_threshold,
                    "seasonal_trend_margin": config.seasonal_trend_margin,
                    "level_persistence_floor": config.level_persistence_floor,
                    "fallback_level_gate": (None if config.fallback_level_gate is None
                                            else list(config.fallback_level_gate)),
                    "blend_median3": config.blend_median3},
        "hour_of_week_profile": [round(float(v), 6) for v in profile],
    }
    return model, meta
