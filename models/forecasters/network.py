"""The attention BiLSTM as a forecaster: pad each row's context, one batched pass, quantiles in load units.

``predict`` is preprocess -> infer -> postprocess, as in TorchServe's handler. With precision ``bf16``
the encoder's LSTM (about 80% of the work) runs on a bfloat16 copy of its weights, accumulating in
float32; the attention and the quantile head stay float32. Precision is a deployment setting: every
worker of a deployment serves the same numbers.
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from models.features import CONTEXT_HOURS, build_inputs, pad_history
from models.forecast import QuantileForecast, SeriesBatch
from models.network import MultiHorizonForecaster
from models.notes import Note
from models.transforms.median3 import Median3Blend

ENCODER_CHUNK = 128   # rows per network call: measured faster on 2 cores than 64 or one huge batch (cache)
PRECISIONS = ("fp32", "bf16")
SHORT_HISTORY_HOURS = 216     # the window (48 h) plus its lag_168


class ContextForecaster:
    """What both networks share: each row padded to the context, its notes, one ``predict`` over all rows."""

    method: str
    gives_band: bool
    context: int

    def __init__(self, profile: np.ndarray | None):
        self.profile = np.ones(168) if profile is None else np.maximum(np.asarray(profile, float), 1e-3)

    def predict(self, contexts: np.ndarray, last_epoch_hours: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def remarks(self, values: np.ndarray) -> list[Note]:
        return []

    def forecast(self, batch: SeriesBatch) -> QuantileForecast:
        lasts = batch.row_lasts
        padded = [pad_history(values, int(last), self.context, self.profile)
                  for values, last in zip(batch.inputs, lasts)]
        predicted = self.predict(np.stack([p[0] for p in padded]), lasts)   # [N + M, H, 3]
        notes = [self.remarks(values) + self._padding(values, n_pad, how)
                 for values, (_, n_pad, how) in zip(batch.histories, padded)]
        return QuantileForecast(predicted[..., 0], predicted[..., 1], predicted[..., 2],
                                [self.method] * len(padded), notes)

    def _padding(self, values: np.ndarray, n_pad: int, how: str | None) -> list[Note]:
        notes = []
        if n_pad:
            notes.append(Note("padded_history", {"hours": len(values), "context": self.context, "padded": n_pad,
                                                 "how": how}))
        if len(values) < SHORT_HISTORY_HOURS:
            notes.append(Note("short_history", {"hours": SHORT_HISTORY_HOURS}))
        return notes


class NetworkForecaster(ContextForecaster):
    """The multi-horizon quantile network."""

    kind, method, gives_band = "multi_horizon", "attention_bilstm", True

    def __init__(self, model: MultiHorizonForecaster, device: torch.device, context: int = CONTEXT_HOURS,
                 precision: str = "fp32", blend: Median3Blend | None = None, profile: np.ndarray | None = None):
        super().__init__(profile)
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.precision, self.blend = precision, blend
        if precision == "bf16":                                   # a copy: the caller's model stays float32
            model = copy.deepcopy(model)
            model.encoder.lstm.to(torch.bfloat16)
        self.model, self.device, self.context = model.eval(), device, context
        self.horizon = model.horizon

    def preprocess(self, contexts: np.ndarray, last_epoch_hours: np.ndarray):
        window, future, scale = build_inputs(contexts, last_epoch_hours, self.model.window, self.horizon,
                                             self.model.hparams["head_features"])
        return torch.from_numpy(window).to(self.device), torch.from_numpy(future).to(self.device), scale

    def infer(self, window: torch.Tensor, future: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            parts = [self.model(w, f) for w, f in zip(window.split(ENCODER_CHUNK), future.split(ENCODER_CHUNK))]
            out = torch.cat(parts)                                # [N, H, 3] normalised
            if self.blend is not None:
                out = self.blend.apply(out, future)
            return out.double().cpu().numpy()

    @staticmethod
    def postprocess(normalised: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return np.maximum(normalised * scale[:, None, None], 0.0)  # [N, H, 3] load units, >= 0

    def predict(self, contexts: np.ndarray, last_epoch_hours: np.ndarray) -> np.ndarray:
        window, future, scale = self.preprocess(contexts, last_epoch_hours)
        return self.postprocess(self.infer(window, future), scale)
