"""Serving: load a model directory once, then forecast many series in one batched pass, backtests included."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from models import artifacts
from models.calibration import coverage, mase, quantile_last, score_backtests, seasonal_naive, widen
from models.cleaning import clean_histories
from models.features import CONTEXT_HOURS, HORIZON_HOURS, WEEK, as_histories, epoch_hour, hour_of_week, pad_history
from models.inference import LegacyEngine, NetworkEngine
from models.level import LevelCorrection, check_level_gate, level_corrections
from models.seasonal import seasonal_trend_pairs

SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts"
QUANTILES = [0.1, 0.5, 0.9]
SHORT_HISTORY_HOURS = 216     # the window (48 h) plus its lag_168
WHOLE_WEEK_FALLBACK = (HORIZON_HOURS, HORIZON_HOURS)   # fallback_fade_hours of 1.2.0: naive for all 168 hours


class ModelNotLoaded(RuntimeError):
    """forecast() was called on a Forecaster whose model directory did not load."""


class ForecastInputError(ValueError):
    """A forecast argument is unusable; the message names the argument."""


@dataclass
class ForecastOutput:
    median: np.ndarray      # [hours_ahead] float64, finite, >= 0; hour k is last_timestamp + (k+1) h
    p10: np.ndarray         # [hours_ahead], p10 <= median <= p90
    p90: np.ndarray
    method: str             # "attention_bilstm" | "seasonal_naive" | "seasonal_naive_then_attention_bilstm"
                            # | "seasonal_trend" | "legacy_attention_lstm"
    backtest: dict | None   # None when history < 2 weeks
    history_hours: int
    padded_hours: int
    notes: list[str] = field(default_factory=list)


def fallback_shares(fade_hours: tuple[int, int], horizon: int = HORIZON_HOURS) -> np.ndarray:
    """[horizon] share of weekly naive in a fallen-back forecast: 1 through hour ``full``, 0 from ``end`` on.

    ``fade_hours = (full, end)``, 1 <= full <= end <= horizon; linear in between.
    """
    full, end = (int(h) for h in fade_hours)
    if not 1 <= full <= end <= horizon:
        raise ValueError(f"fallback_fade_hours must be (full, end) with 1 <= full <= end <= {horizon}, "
                         f"got {tuple(fade_hours)!r}")
    hours = np.arange(1, horizon + 1)
    if end == full:
        return (hours <= full).astype(np.float64)
    return np.clip((end - hours) / (end - full), 0.0, 1.0)


def week_change(values: np.ndarray) -> float:
    """Mean absolute change from the week before to the last week, as a share of the last week's mean.

    0 for two identical weeks; huge when the last week is all zero and the one before was not.
    """
    last, before = values[-WEEK:], values[-2 * WEEK:-WEEK]
    change = float(np.abs(last - before).mean())
    return change / max(float(last.mean()), 1e-12) if change > 0 else 0.0


def check_share(name: str, share: float | None) -> float | None:
    """A serving option's share: None (or infinity) switches it off; otherwise it must be positive."""
    if share is None or share == float("inf"):
        return None
    if isinstance(share, bool) or not float(share) > 0:
        raise ValueError(f"{name} must be a positive share or None, got {share!r}")
    return float(share)


def check_margin(margin: float | None, name: str = "seasonal_trend_margin") -> float | None:
    """A margin or floor (``name``): None (or infinity) switches it off; otherwise a share in [0, 1)."""
    if margin is None or margin == float("inf"):
        return None
    if isinstance(margin, bool) or not 0.0 <= float(margin) < 1.0:
        raise ValueError(f"{name} must be a share in [0, 1) or None, got {margin!r}")
    return float(margin)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Forecaster:
    """A loaded (or refused) model directory; ``info`` says which."""

    def __init__(self, info: dict, engine=None, profile: np.ndarray | None = None,
                 fallback_to_seasonal_naive: bool = False,
                 fallback_fade_hours: tuple[int, int] = WHOLE_WEEK_FALLBACK,
                 fallback_max_week_change: float | None = None, clean_days_threshold: float | None = None,
                 seasonal_trend_margin: float | None = None, level_persistence_floor: float | None = None,
                 fallback_level_gate: tuple[float, float] | None = None):
        self._info, self._engine = dict(info), engine
        self._naive_share = fallback_shares(fallback_fade_hours)  # [168]
        self.fallback_fade_hours = tuple(int(h) for h in fallback_fade_hours)
        self.fallback_max_week_change = check_share("fallback_max_week_change", fallback_max_week_change)
        self.clean_days_threshold = check_share("clean_days_threshold", clean_days_threshold)
        self.seasonal_trend_margin = check_margin(seasonal_trend_margin)
        self.level_persistence_floor = check_margin(level_persistence_floor, "level_persistence_floor")
        self.fallback_level_gate = check_level_gate(fallback_level_gate)
        if engine is not None:                                    # what serves says whether and how it falls back
            self._info["fallback_to_seasonal_naive"] = fallback_to_seasonal_naive
            self._info["fallback_fade_hours"] = list(self.fallback_fade_hours)
            self._info["fallback_max_week_change"] = self.fallback_max_week_change
            self._info["clean_days_threshold"] = self.clean_days_threshold
            self._info["seasonal_trend_margin"] = self.seasonal_trend_margin
            self._info["level_persistence_floor"] = self.level_persistence_floor
            gate = self.fallback_level_gate
            self._info["fallback_level_gate"] = None if gate is None else list(gate)
        self._profile = np.ones(WEEK) if profile is None else np.maximum(np.asarray(profile, float), 1e-3)
        self.fallback_to_seasonal_naive = fallback_to_seasonal_naive

    @property
    def info(self) -> dict:
        return dict(self._info)

    def synthetic_history(self, current_load: float, last_timestamp: datetime,
                          hours: int = CONTEXT_HOURS) -> np.ndarray:
        """The hour-of-week profile over ``hours`` hours ending at ``last_timestamp``, last value = current_load."""
        epochs = epoch_hour(last_timestamp) - (hours - 1) + np.arange(hours)
        shape = self._profile[hour_of_week(epochs)]
        return shape * (max(float(current_load), 0.0) / shape[-1])

    def forecast(self, histories: Sequence[np.ndarray], last_timestamps: Sequence[datetime],
                 hours_ahead: int | Sequence[int]) -> list[ForecastOutput]:
        if self._engine is None:
            raise ModelNotLoaded(self._info["error"] or "no model loaded")
        series, epochs, horizons = _validate(histories, last_timestamps, hours_ahead)
        first, of = _distinct(series, epochs)                    # a repeated (history, last hour) runs once
        series, epochs = [series[i] for i in first], [epochs[i] for i in first]
        backtested = [i for i, values in enumerate(series) if len(values) >= 2 * WEEK]
        inputs, cleaned = self._clean(series + [series[i][:-WEEK] for i in backtested])  # each on its own
        rows, lasts, pads = [], [], []
        for values, last, n_cleaned in zip(inputs, epochs, cleaned):   # the real forecasts first
            padded, n_pad, how = pad_history(values, last, self._engine.context, self._profile)
            rows.append(padded), lasts.append(last), pads.append((n_pad, how, n_cleaned))
        for i, before in zip(backtested, inputs[len(series):]):   # then each series' last week from before
            rows.append(pad_history(before, epochs[i] - WEEK, self._engine.context, self._profile)[0])
            lasts.append(epochs[i] - WEEK)
        predicted = self._engine.predict(np.stack(rows), np.asarray(lasts, dtype=np.int64))  # [N + M, H, 3]
        n = len(series)
        p10, median, p90 = predicted[:n, :, 0], predicted[:n, :, 1], predicted[:n, :, 2]   # [N, H] each
        scores, trend = None, {}
        if backtested:
            actual = np.stack([series[i][-WEEK:] for i in backtested])                       # [M, 168]
            scores = score_backtests([series[i][:-WEEK] for i in backtested], actual, predicted[n:])
            if self._engine.gives_band:
                factor = np.ones(n)
                factor[backtested] = scores["band_scale"]
                p10, p90 = widen(p10, median, p90, factor[:, None])
            trend = self._seasonal_trend(series, backtested, actual, scores["scale"])
        level = {}
        if self.level_persistence_floor is not None or self.fallback_level_gate is not None:
            level = level_corrections(series, median, self.level_persistence_floor)
        row = {i: j for j, i in enumerate(backtested)}
        return [self._output(series[i], median[i], p10[i], p90[i], hours, *pads[i],
                             None if i not in row else (scores, row[i], predicted[n + row[i]]), trend.get(i),
                             level.get(i))
                for i, hours in zip(of, horizons)]

    def _seasonal_trend(self, series: list[np.ndarray], backtested: list[int], actual: np.ndarray,
                        scales: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
        """Per series that can have one: the seasonal-trend forecast, its backtest forecast and MASE.

        ``actual`` [M, 168] and ``scales`` [M] are the backtested series' last weeks and MASE denominators.
        """
        if self.seasonal_trend_margin is None:
            return {}
        rows = [j for j, i in enumerate(backtested) if len(series[i]) >= 3 * WEEK]   # two weeks before the last
        if not rows:
            return {}
        index = [backtested[j] for j in rows]
        ahead, past = seasonal_trend_pairs([series[i] for i in index])
        score = mase(actual[rows], past, scales[rows])
        return {i: (ahead[k], past[k], float(score[k])) for k, i in enumerate(index)}

    def _clean(self, histories: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
        """The network's view of each history: anomalous days replaced when the option is on."""
        if self.clean_days_threshold is None:
            return histories, [0] * len(histories)
        return clean_histories(histories, self.clean_days_threshold)

    def _output(self, values: np.ndarray, median: np.ndarray, p10: np.ndarray, p90: np.ndarray, hours: int,
                n_pad: int, how: str | None, n_cleaned: int, backtest, trend=None,
                level: LevelCorrection | None = None) -> ForecastOutput:
        method, notes, report = self._engine.method, self._engine.remarks(values), None
        if n_cleaned:
            notes.append(f"{n_cleaned} day(s) of the history departed from their weekday's median total by more "
                         f"than {self.clean_days_threshold:.0%} (a holiday, an outage?): the network saw that "
                         f"weekday's median hours in their place")
        if n_pad:
            notes.append(f"history of {len(values)} hours is shorter than the {self._engine.context}-hour "
                         f"context: padded {n_pad} hours in front {how}")
        if len(values) < SHORT_HISTORY_HOURS:
            notes.append(f"history shorter than {SHORT_HISTORY_HOURS} hours: the forecast leans on the padding")
        if backtest is None:
            notes.append("history shorter than 2 weeks: no backtest, the band is not calibrated")
            if not self._engine.gives_band:
                p10, p90 = _residual_band(median, _daily_changes(values))
                notes.append("band from the history's day-over-day changes")
        else:
            scores, j, past = backtest
            actual = values[-WEEK:]
            report = {"mase_model": float(scores["mase_model"][j]),
                      "mase_seasonal_naive": float(scores["mase_seasonal_naive"][j]),
                      "band_scale": float(scores["band_scale"][j]) if self._engine.gives_band else 1.0,
                      "coverage": float(scores["coverage"][j]), "hours": WEEK}
            if not self._engine.gives_band:
                p10, p90 = _residual_band(median, actual - past[:, 1])
                report["coverage"] = float(coverage(actual, *_residual_band(past[:, 1], actual - past[:, 1])))
                notes.append("band from the 10th and 90th percentiles of the backtest week's errors")
            lost = report["mase_model"] > report["mase_seasonal_naive"] * (1 + 1e-5)   # not float32 noise
            if trend is not None:
                report["mase_seasonal_trend"] = trend[2]
            if trend is not None and self._trend_won(report):
                method, median, (p10, p90) = "seasonal_trend", trend[0], _residual_band(trend[0], actual - trend[1])
                notes.append(f"a seasonal-trend forecast (the weekly profile times the last day's level, with a "
                             f"damped trend) beat the network and weekly seasonal naive on the backtest week by more "
                             f"than {self.seasonal_trend_margin:.0%} (MASE {trend[2]:.3g} against "
                             f"{report['mase_model']:.3g} and {report['mase_seasonal_naive']:.3g}): it served, "
                             f"since the level moves in a way the network follows too slowly")
            elif (self.fallback_to_seasonal_naive and lost and self._regular_enough(values, notes)
                  and not self._level_wanders(level, notes)):
                method, (median, p10, p90) = self._fall_back(values, actual - scores["naive"][j], hours,
                                                             median, p10, p90, notes=notes)
            if level is not None:
                report["level_persistence"] = float(level.persistence)
                report["level_spread"] = float(level.spread)
        if level is not None and method == self._engine.method and self._engine.gives_band:
            median, p10, p90 = self._follow_level(level, notes, median, p10, p90)
        return ForecastOutput(median=np.array(median[:hours], dtype=np.float64),   # a copy: repeats share rows
                              p10=np.ascontiguousarray(np.minimum(p10, median)[:hours], dtype=np.float64),
                              p90=np.ascontiguousarray(np.maximum(p90, median)[:hours], dtype=np.float64),
                              method=method, backtest=report, history_hours=len(values),
                              padded_hours=n_pad, notes=notes)

    @staticmethod
    def _follow_level(level: LevelCorrection, notes: list[str], *quantiles: np.ndarray) -> tuple[np.ndarray, ...]:
        """The network's quantiles times the persistent-level factors, with a note when they move anything."""
        if level.share > 0:
            notes.append(f"this series' day totals keep their departures from the weekday's usual level from day "
                         f"to day (persistence {level.persistence:.2f}) and the last day ran "
                         f"{np.expm1(level.last_departure):+.1%} from it: the forecast's day totals moved "
                         f"{level.share:.0%} of the way to that departure, fading by the persistence a day "
                         f"(day 1 {level.factors[0] - 1:+.1%})")
        return tuple(q * level.factors for q in quantiles)

    def _trend_won(self, report: dict) -> bool:
        best = min(report["mase_model"], report["mase_seasonal_naive"])
        return report["mase_seasonal_trend"] < best * (1 - self.seasonal_trend_margin)

    def _regular_enough(self, values: np.ndarray, notes: list[str]) -> bool:
        """Whether weeks repeat closely enough that one lost backtest week says naive will win the next."""
        limit = self.fallback_max_week_change
        if limit is None:
            return True
        change = week_change(values)
        if change < limit:
            return True
        notes.append(f"the network lost its backtest to weekly seasonal naive, but the last week differs from "
                     f"the week before by {change:.0%} of its mean (the fallback's limit is {limit:.0%}): "
                     f"the network served")
        return False

    def _level_wanders(self, level: LevelCorrection | None, notes: list[str]) -> bool:
        """Whether the day level both lasts and wanders, so that weekly naive's week-old level is stale."""
        if self.fallback_level_gate is None or level is None:
            return False
        persistence, spread = self.fallback_level_gate
        if level.persistence > persistence and level.spread > spread:
            notes.append(f"the network lost its backtest to weekly seasonal naive, but this series' day level "
                         f"wanders (day totals spread {level.spread:.1%} around their weekday's usual level) and "
                         f"its departures last (persistence {level.persistence:.2f}; the fallback's gate is "
                         f"persistence {persistence:g} and spread {spread:.0%}): a week-old copy would be stale, so "
                         f"the network served")
            return True
        return False

    def _fall_back(self, values: np.ndarray, naive_errors: np.ndarray, hours: int, *network: np.ndarray,
                   notes: list[str]) -> tuple[str, tuple[np.ndarray, ...]]:
        """Weekly naive, with the band of its backtest errors, mixed into the network's quantiles by hour."""
        naive = seasonal_naive(values, HORIZON_HOURS)
        share = self._naive_share                                 # [168]
        mixed = tuple(share * n + (1 - share) * q
                      for n, q in zip((naive, *_residual_band(naive, naive_errors)), network))
        full, end = self.fallback_fade_hours
        if hours <= full:                                         # every requested hour is naive's
            notes.append("the network lost its backtest to weekly seasonal naive, which served instead")
            return "seasonal_naive", mixed
        notes.append(f"the network lost its backtest to weekly seasonal naive, which served hours 1-{full}, "
                     f"fading into the network by hour {end}")
        return "seasonal_naive_then_attention_bilstm", mixed


def _distinct(series: list[np.ndarray], epochs: list[int]) -> tuple[list[int], list[int]]:
    """The first request of each distinct (history, last hour) pair, and each request's pair among them.

    A batch of plans often repeats a series (scenarios of one service, plans with the same current load and
    timestamp): each distinct pair is forecast once and its outputs serve every request that repeats it.
    """
    seen: dict[tuple[int, bytes], int] = {}
    first, of = [], []
    for i, (values, epoch) in enumerate(zip(series, epochs)):
        position = seen.setdefault((epoch, values.tobytes()), len(first))   # exact: the bytes, not a digest
        if position == len(first):
            first.append(i)
        of.append(position)
    return first, of


def _daily_changes(values: np.ndarray) -> np.ndarray:
    return values[24:] - values[:-24] if len(values) > 24 else np.zeros(1)


def _residual_band(median: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median plus the 10th / 90th percentile of past errors (actual - forecast), kept around the median."""
    low, high = quantile_last(errors, 0.1), quantile_last(errors, 0.9)
    return np.maximum(median + min(low, 0.0), 0.0), median + max(high, 0.0)


def _validate(histories, last_timestamps, hours_ahead) -> tuple[list[np.ndarray], list[int], list[int]]:
    try:
        series = as_histories(histories)
    except (TypeError, ValueError) as exc:
        raise ForecastInputError(f"histories: {exc}") from None
    if not hasattr(last_timestamps, "__len__") or len(last_timestamps) != len(series):
        raise ForecastInputError("last_timestamps must have one timestamp per history")
    try:
        epochs = [epoch_hour(ts) for ts in last_timestamps]
    except (TypeError, ValueError) as exc:
        raise ForecastInputError(f"last_timestamps: {exc}") from None
    try:
        horizons = [hours_ahead] * len(series) if np.ndim(hours_ahead) == 0 else list(hours_ahead)
    except ValueError:                                            # a ragged nesting numpy cannot shape
        horizons = None
    if horizons is None or len(horizons) != len(series):
        raise ForecastInputError("hours_ahead must be one integer or one per history")
    for h in horizons:
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= HORIZON_HOURS:
            raise ForecastInputError(f"hours_ahead must be integers from 1 to {HORIZON_HOURS}, got {h!r}")
    return series, epochs, [int(h) for h in horizons]


def load_forecaster(model_dir: str | os.PathLike | None = None, device: str = "auto",
                    allow_unsafe_pickle: bool = False,
                    fallback_to_seasonal_naive: bool | None = None, precision: str = "auto",
                    blend_median3: float | None = None,
                    fallback_fade_hours: tuple[int, int] | None = None,
                    fallback_max_week_change: float | None = None,
                    clean_days_threshold: float | None = None,
                    seasonal_trend_margin: float | None = None,
                    level_persistence_floor: float | None = None,
                    fallback_level_gate: tuple[float, float] | None = None,
                    overrides: dict | None = None) -> Forecaster:
    """Load a model directory (None: the shipped artifacts); never raises, see ``info['error']``.

    ``precision`` is the network encoder's: ``auto`` (bfloat16 on a CPU that computes it natively, else
    float32), ``fp32`` or ``bf16``; see ``models.inference.NetworkEngine``.
    """
    if overrides:
        return load_forecaster(model_dir, device, allow_unsafe_pickle, precision=precision, **_old_style(overrides))
    path = Path(model_dir) if model_dir is not None else SHIPPED_DIR
    info = {"loaded": False, "name": "", "version": "", "kind": None, "device": "cpu", "precision": "fp32",
            "error": None, "quantiles": list(QUANTILES), "model_dir": str(path)}
    try:
        dev = _device(device)
        info["device"] = dev.type
        kind = artifacts.artifact_kind(path) if path.is_dir() else None
        if kind is None:
            raise artifacts.ArtifactError(f"{path} holds neither {artifacts.META_FILE} + {artifacts.WEIGHTS_FILE} "
                                          f"nor the original {artifacts.LEGACY_WEIGHTS}")
        if kind == "multi_horizon":
            model, meta = artifacts.load_native(path, dev)
            return forecaster_from_model(model, meta, dev, info, fallback_to_seasonal_naive, precision, blend_median3,
                                         fallback_fade_hours, fallback_max_week_change, clean_days_threshold,
                                         seasonal_trend_margin, level_persistence_floor, fallback_level_gate)
        engine = LegacyEngine(*artifacts.load_legacy(path, dev, allow_unsafe_pickle), device=dev)
        info.update(loaded=True, kind=kind, name="legacy_attention_lstm",
                    version=artifacts.sha256_of(path / artifacts.LEGACY_WEIGHTS)[:12])
        return Forecaster(info, engine, None, bool(fallback_to_seasonal_naive),
                          seasonal_trend_margin=seasonal_trend_margin)
    except (artifacts.ArtifactError, RuntimeError, ValueError, OSError) as exc:
        info["error"] = str(exc)
        return Forecaster(info)


def forecaster_from_model(model, meta: dict, device: torch.device | None = None, info: dict | None = None,
                          fallback_to_seasonal_naive: bool | None = None, precision: str = "auto",
                          blend_median3: float | None = None,
                          fallback_fade_hours: tuple[int, int] | None = None,
                          fallback_max_week_change: float | None = None,
                          clean_days_threshold: float | None = None,
                          seasonal_trend_margin: float | None = None,
                          level_persistence_floor: float | None = None,
                          fallback_level_gate: tuple[float, float] | None = None,
                          overrides: dict | None = None) -> Forecaster:
    """A Forecaster around an in-memory network and its artifact metadata (training uses this too).

    Serving options left None come from ``meta["serving"]``; ``math.inf`` switches off a stored
    ``fallback_max_week_change``, ``clean_days_threshold``, ``seasonal_trend_margin``,
    ``level_persistence_floor`` or ``fallback_level_gate``.
    """
    if overrides:
        return forecaster_from_model(model, meta, device, info, precision=precision, **_old_style(overrides))
    device = device or next(model.parameters()).device
    serving = meta.get("serving", {})

    def option(given, key: str, default=None):                    # the caller's value, else the stored one
        return serving.get(key, default) if given is None else given

    fallback = bool(option(fallback_to_seasonal_naive, "fallback_to_seasonal_naive", False))
    blend = option(blend_median3, "blend_median3", 0.0)
    fade = option(fallback_fade_hours, "fallback_fade_hours", WHOLE_WEEK_FALLBACK)
    limit = option(fallback_max_week_change, "fallback_max_week_change")
    clean = option(clean_days_threshold, "clean_days_threshold")
    margin = option(seasonal_trend_margin, "seasonal_trend_margin")
    floor = option(level_persistence_floor, "level_persistence_floor")
    gate = option(fallback_level_gate, "fallback_level_gate")
    info = {**(info or {"error": None, "model_dir": ""}), "loaded": True, "kind": "multi_horizon",
            "device": device.type, "name": meta.get("name", "attention_bilstm"),
            "version": meta.get("version", ""), "quantiles": meta.get("quantiles", QUANTILES)}
    engine = NetworkEngine(model.to(device).eval(), device, meta.get("context_hours", CONTEXT_HOURS), precision, blend)
    info["precision"], info["blend_median3"] = engine.precision, engine.blend_median3
    return Forecaster(info, engine, meta.get("hour_of_week_profile"), fallback, fade, limit, clean, margin, floor,
                      gate)


def _old_style(overrides: dict) -> dict:
    """Transitional: ServingConfig-style overrides (None = off) as the keyword arguments above."""
    from models.serving_config import ServingConfig

    ServingConfig().replace(**overrides)
    return {k: (float("inf") if v is None and k not in ("fallback_to_seasonal_naive", "blend_median3") else
                (0.0 if v is None else v)) for k, v in overrides.items()}
