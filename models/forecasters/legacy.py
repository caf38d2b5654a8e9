"""The original service's one-step network rolled forward hour by hour over a true sliding window.

Its min-max scalers were fitted on one data set, so series far outside that range are out of
distribution; it gives a median only (the band comes from the backtest residuals, ``BandCalibration``).
"""
from __future__ import annotations

import numpy as np
import torch

from models.features import WEEK, hour_and_weekday
from models.forecasters.network import ContextForecaster
from models.network import LegacyAttentionLSTM
from models.notes import Note


class LegacyForecaster(ContextForecaster):
    kind, method, gives_band = "legacy_onestep", "legacy_attention_lstm", False

    def __init__(self, model: LegacyAttentionLSTM, target_scaler, time_scaler, device: torch.device,
                 window: int = 48, horizon: int = 168):
        super().__init__(None)
        self.model, self.device, self.window, self.horizon = model.eval(), device, window, horizon
        self.context = window + WEEK                              # lag_168 of the window's first row
        self.load_min, self.load_scale = float(target_scaler.min_[0]), float(target_scaler.scale_[0])
        self.target_min = np.asarray(target_scaler.min_, dtype=np.float64)
        self.target_scale = np.asarray(target_scaler.scale_, dtype=np.float64)
        self.time_min = np.asarray(time_scaler.min_, dtype=np.float64)
        self.time_scale = np.asarray(time_scaler.scale_, dtype=np.float64)

    def remarks(self, values: np.ndarray) -> list[Note]:
        """Say when a series lies outside the one fixed scale the original network was trained on."""
        low, high = 0.0 - self.load_min / self.load_scale, (1 - self.load_min) / self.load_scale
        if values.max() > 1.5 * high or values.max() < 0.2 * high:
            return [Note("out_of_scale", {"low": float(low), "high": float(high), "peak": float(values.max())})]
        return []

    def _window(self, series: np.ndarray, end: int, epoch_last: np.ndarray) -> torch.Tensor:
        """Rows end-W..end-1 of ``series`` [N, T] with their own lags and calendar, scaled: [N, W, 5]."""
        rows = np.arange(end - self.window, end)
        counts = np.stack([series[:, rows], series[:, rows - 24], series[:, rows - WEEK]], axis=-1)
        epoch = epoch_last[:, None] - (end - 1 - rows)[None, :]
        calendar = np.stack(hour_and_weekday(epoch), axis=-1).astype(np.float64)
        x = np.concatenate([counts * self.target_scale + self.target_min,
                            calendar * self.time_scale + self.time_min], axis=-1)
        return torch.from_numpy(x.astype(np.float32)).to(self.device)

    def predict(self, contexts: np.ndarray, last_epoch_hours: np.ndarray) -> np.ndarray:
        n, c = contexts.shape
        series = np.concatenate([contexts, np.zeros((n, self.horizon))], axis=1)  # [N, C + H]
        last = np.asarray(last_epoch_hours, dtype=np.int64)
        with torch.inference_mode():
            for step in range(self.horizon):                      # the original's recursive rollout
                end = c + step
                scaled = self.model(self._window(series, end, last + step)).double().cpu().numpy()[:, 0]
                series[:, end] = np.maximum((scaled - self.load_min) / self.load_scale, 0.0)
        median = series[:, c:]                                    # [N, H]
        return np.repeat(median[:, :, None], 3, axis=2)           # p10 = p50 = p90 until banded
