"""Serving: load a model directory once, then forecast many series in one batched pass, backtests included.

``Forecaster.forecast`` is the whole pipeline, top to bottom: transform the inputs, run every forecaster
once over the batch (forecast and backtest rows together), score the backtests, calibrate the network's
band, select what serves each series, transform the outputs. Each step is a small class of its own;
``ServingConfig`` says which are on.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from models import artifacts
from models.features import CONTEXT_HOURS, WEEK, epoch_hour, hour_of_week
from models.forecast import ForecastOutput, QuantileForecast, SeriesBatch
from models.forecasters.legacy import LegacyForecaster
from models.forecasters.network import NetworkForecaster
from models.forecasters.seasonal_naive import WeeklyNaive
from models.forecasters.seasonal_trend import SeasonalTrend
from models.notes import Note
from models.scoring import Backtests, score
from models.selector import NAIVE, NETWORK, TREND, Selector
from models.serving_config import ServingConfig
from models.transforms.band import BandCalibration
from models.transforms.clean_days import CleanDays
from models.transforms.median3 import Median3Blend
from models.transforms.persistent_level import LevelCorrection, PersistentLevel
from models.inputs import ForecastInputError, distinct, validate

SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts"
QUANTILES = [0.1, 0.5, 0.9]

__all__ = ["Forecaster", "ForecastInputError", "ForecastOutput", "ModelNotLoaded", "load_forecaster",
           "forecaster_from_model", "SHIPPED_DIR"]


class ModelNotLoaded(RuntimeError):
    """forecast() was called on a Forecaster whose model directory did not load."""


@dataclass
class Served:
    """What serves one distinct series, before it is cut to each request's hours."""

    quantiles: tuple[np.ndarray, np.ndarray, np.ndarray]     # median, p10, p90 [168]
    source: str                                               # NETWORK | TREND | NAIVE
    report: dict | None
    notes: list[Note]


class Forecaster:
    """A loaded (or refused) model directory; ``info`` says which, and how it serves."""

    def __init__(self, info: dict, network: NetworkForecaster | LegacyForecaster | None = None,
                 config: ServingConfig = ServingConfig()):
        self.config, self.network = config, network
        self._info = {**info, "serving": config.as_dict()}
        self.inputs = [CleanDays(config)] if config.clean_days_threshold is not None else []
        self.forecasters = {NETWORK: network, NAIVE: WeeklyNaive()}
        if config.seasonal_trend_margin is not None:
            self.forecasters[TREND] = SeasonalTrend()
        self.band = BandCalibration()
        self.selector = Selector(config)
        measured = config.level_persistence_floor is not None or config.fallback_level_gate is not None
        self.level = PersistentLevel(config) if measured else None

    @property
    def info(self) -> dict:
        return dict(self._info)

    def synthetic_history(self, current_load: float, last_timestamp: datetime,
                          hours: int = CONTEXT_HOURS) -> np.ndarray:
        """The hour-of-week profile over ``hours`` hours ending at ``last_timestamp``, last value = current_load."""
        profile = self.network.profile if self.network is not None else np.ones(WEEK)
        shape = profile[hour_of_week(epoch_hour(last_timestamp) - (hours - 1) + np.arange(hours))]
        return shape * (max(float(current_load), 0.0) / shape[-1])

    def forecast(self, histories: Sequence[np.ndarray], last_timestamps: Sequence[datetime],
                 hours_ahead: int | Sequence[int]) -> list[ForecastOutput]:
        """p10/median/p90 of each history's next ``hours_ahead`` hours after its last timestamp, in one pass."""
        if self.network is None:
            raise ModelNotLoaded(self._info["error"] or "no model loaded")
        series, epochs, horizons = validate(histories, last_timestamps, hours_ahead)
        first, of = distinct(series, epochs)                      # a repeated (history, last hour) runs once
        batch = SeriesBatch.of([series[i] for i in first], [epochs[i] for i in first])
        for transform in self.inputs:
            batch = transform.apply(batch)
        forecasts = {name: forecaster.forecast(batch) for name, forecaster in self.forecasters.items()}
        scores = score(batch, forecasts, NETWORK)
        network, band_notes = self.band.apply(forecasts[NETWORK], batch, scores, self.network.gives_band)
        levels = self.level.measure(batch.histories, network.median) if self.level is not None else {}
        row = {i: j for j, i in enumerate(batch.backtested)}
        served = [self._serve(i, row.get(i), batch, forecasts, network, scores, levels.get(i),
                              band_notes[i]) for i in range(batch.size)]
        return [self._output(served[i], hours, len(batch.histories[i])) for i, hours in zip(of, horizons)]

    def _serve(self, i: int, j: int | None, batch: SeriesBatch, forecasts: dict[str, QuantileForecast],
               network: QuantileForecast, scores: Backtests | None, level: LevelCorrection | None,
               band_notes: list[Note]) -> Served:
        """Series ``i`` (backtest row ``j``): its report, the selector's choice, the output transform."""
        notes = batch.notes[i] + forecasts[NETWORK].notes[i]
        quantiles = (network.median[i], network.p10[i], network.p90[i])
        if j is None:
            return self._transformed(Served(quantiles, NETWORK, None, notes + [Note("no_backtest")] + band_notes),
                                     level)
        report = self._report(scores, j)
        choice = self.selector.choose(batch.histories[i], report, level)
        if level is not None:
            report["level_persistence"], report["level_spread"] = float(level.persistence), float(level.spread)
        if choice.source == TREND:
            trend = forecasts[TREND]
            quantiles = (trend.median[i], trend.p10[i], trend.p90[i])
        elif choice.source == NAIVE:
            naive = forecasts[NAIVE]
            quantiles = self.selector.mix((naive.median[i], naive.p10[i], naive.p90[i]), quantiles)
        return self._transformed(Served(quantiles, choice.source, report, notes + band_notes + choice.notes), level)

    def _report(self, scores: Backtests, j: int) -> dict:
        """The backtest week's scores of series row ``j``, as the result's ``backtest`` block."""
        report = {"mase_model": float(scores.mase[NETWORK][j]), "mase_seasonal_naive": float(scores.mase[NAIVE][j]),
                  "band_scale": float(scores.band_scale[j]) if self.network.gives_band else 1.0,
                  "coverage": float(scores.coverage[j]), "hours": WEEK}
        if TREND in scores.mase and np.isfinite(scores.mase[TREND][j]):
            report["mase_seasonal_trend"] = float(scores.mase[TREND][j])
        return report

    def _transformed(self, served: Served, level: LevelCorrection | None) -> Served:
        """The persistent level, where the network serves with a band of its own."""
        if level is not None and served.source == NETWORK and self.network.gives_band:
            served.quantiles, notes = self.level.apply(level, *served.quantiles)
            served.notes = served.notes + notes
        return served

    def _output(self, served: Served, hours: int, history_hours: int) -> ForecastOutput:
        method, notes = (self.network.method if served.source == NETWORK else served.source), list(served.notes)
        if served.source == NAIVE:
            method, note = self.selector.naive_notes(hours)
            notes.append(note)
        median, p10, p90 = served.quantiles
        return ForecastOutput(median=np.array(median[:hours], dtype=np.float64),   # a copy: repeats share rows
                              p10=np.ascontiguousarray(np.minimum(p10, median)[:hours], dtype=np.float64),
                              p90=np.ascontiguousarray(np.maximum(p90, median)[:hours], dtype=np.float64),
                              method=method, backtest=None if served.report is None else dict(served.report),
                              history_hours=history_hours, padded_hours=_padded_hours(notes), notes=notes)


def _padded_hours(notes: list[Note]) -> int:
    return next((note.values["padded"] for note in notes if note.code == "padded_history"), 0)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_forecaster(model_dir: str | os.PathLike | None = None, *, device: str = "auto", precision: str = "fp32",
                    allow_unsafe_pickle: bool = False, overrides: Mapping[str, Any] | None = None) -> Forecaster:
    """Load a model directory (None: the shipped artifacts); never raises, see ``info['error']``.

    ``overrides`` change the stored serving options field by field (``ServingConfig``; None is off).
    """
    path = Path(model_dir) if model_dir is not None else SHIPPED_DIR
    info = {"loaded": False, "name": "", "version": "", "kind": None, "device": "cpu", "precision": precision,
            "error": None, "quantiles": list(QUANTILES)}
    try:
        dev = _device(device)
        info["device"] = dev.type
        kind = artifacts.artifact_kind(path) if path.is_dir() else None
        if kind is None:
            raise artifacts.ArtifactError(f"the model directory holds neither {artifacts.META_FILE} + "
                                          f"{artifacts.WEIGHTS_FILE} nor the original {artifacts.LEGACY_WEIGHTS}")
        if kind == "multi_horizon":
            model, meta = artifacts.load_native(path, dev)
            return forecaster_from_model(model, meta, device=dev, info=info, precision=precision, overrides=overrides)
        config = ServingConfig().replace(**(overrides or {}))
        legacy = LegacyForecaster(*artifacts.load_legacy(path, dev, allow_unsafe_pickle), device=dev)
        info.update(loaded=True, kind=kind, name="legacy_attention_lstm", precision="fp32",
                    version=artifacts.sha256_of(path / artifacts.LEGACY_WEIGHTS)[:12])
        return Forecaster(info, legacy, config)
    except (artifacts.ArtifactError, RuntimeError, ValueError, TypeError, OSError) as exc:
        info["error"] = artifacts.public_error(exc, path)
        return Forecaster(info)


def forecaster_from_model(model, meta: dict, *, device: torch.device | None = None, info: dict | None = None,
                          precision: str = "fp32", overrides: Mapping[str, Any] | None = None) -> Forecaster:
    """A Forecaster around an in-memory network and its artifact metadata (training uses this too).

    The serving options are ``meta["serving"]``'s, then ``overrides``'.
    """
    device = device or next(model.parameters()).device
    config = ServingConfig.from_mapping(meta.get("serving", {})).replace(**(overrides or {}))
    blend = Median3Blend(config.blend_median3) if config.blend_median3 is not None else None
    network = NetworkForecaster(model.to(device).eval(), device, meta.get("context_hours", CONTEXT_HOURS),
                                precision, blend, meta.get("hour_of_week_profile"))
    info = {**(info or {"error": None}), "loaded": True, "kind": "multi_horizon", "device": device.type,
            "precision": network.precision, "name": meta.get("name", "attention_bilstm"),
            "version": meta.get("version", ""), "quantiles": meta.get("quantiles", QUANTILES)}
    return Forecaster(info, network, config)
