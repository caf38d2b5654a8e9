"""Engines that turn padded contexts into quantile forecasts in load units: one batched network pass each."""
from __future__ import annotations

import copy
import time

import numpy as np
import torch

from models.features import CONTEXT_HOURS, WEEK, build_inputs, hour_and_weekday
from models.network import LegacyAttentionLSTM, MultiHorizonForecaster, weekly_median3

ENCODER_CHUNK = 128   # rows per network call: measured faster on 2 cores than 64 or one huge batch (cache)


PRECISIONS = ("auto", "fp32", "bf16")
BF16_MAX_TIME_SHARE = 0.9   # auto serves bfloat16 only where its LSTM takes at most this share of float32's time
_MEASURED_SHARES: dict[tuple, float] = {}   # one measurement per LSTM shape and thread count, per process


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16); elsewhere it is emulated, slower."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bf16_time_share(lstm: torch.nn.LSTM, rows: int = ENCODER_CHUNK, steps: int = 48, repeats: int = 3) -> float:
    """How long a bfloat16 copy of ``lstm`` takes over one chunk, as a share of float32's (best of ``repeats``).

    Native bfloat16 alone does not say it is faster: on an AMD EPYC with AVX512-BF16 it halved the LSTM's
    time, on an Intel Xeon with AVX512-BF16 and no AMX it took about 1.3 times as long.
    """
    x = torch.randn(rows, steps, lstm.input_size, generator=torch.Generator().manual_seed(0))

    def best(net: torch.nn.LSTM, inputs: torch.Tensor) -> float:
        times = []
        with torch.inference_mode():
            net(inputs)                                           # the first call builds oneDNN's primitives
            for _ in range(repeats):
                start = time.perf_counter()
                net(inputs)
                times.append(time.perf_counter() - start)
        return min(times)

    fp32 = best(lstm, x)
    return best(copy.deepcopy(lstm).to(torch.bfloat16), x.to(torch.bfloat16)) / max(fp32, 1e-9)


def resolve_precision(precision: str, device: torch.device, lstm: torch.nn.LSTM) -> str:
    """``auto`` -> ``bf16`` on a CPU with native bfloat16 where it measures faster for ``lstm``, else ``fp32``.

    CUDA keeps fp32 (the LSTM is not its bottleneck).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    if device.type != "cpu" or not cpu_has_native_bf16():
        return "fp32"
    key = (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bidirectional, torch.get_num_threads())
    if key not in _MEASURED_SHARES:
        _MEASURED_SHARES[key] = bf16_time_share(lstm)
    return "bf16" if _MEASURED_SHARES[key] <= BF16_MAX_TIME_SHARE else "fp32"


class NetworkEngine:
    """The multi-horizon quantile network; ``predict`` is preprocess -> infer -> postprocess.

    With ``precision="bf16"`` the encoder's LSTM (about 80% of the work) runs on a bfloat16
    copy of its weights, accumulating in float32; the attention and the quantile head stay float32.
    """

    kind, method, gives_band = "multi_horizon", "attention_bilstm", True

    def __init__(self, model: MultiHorizonForecaster, device: torch.device, context: int = CONTEXT_HOURS,
                 precision: str = "fp32", blend_median3: float = 0.0):
        if not 0.0 <= blend_median3 <= 1.0:
            raise ValueError(f"blend_median3 must lie in 0..1, got {blend_median3!r}")
        self.precision = resolve_precision(precision, device, model.encoder.lstm)
        self.blend_median3 = float(blend_median3)
        if self.precision == "bf16":                              # a copy: the caller's model stays float32
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
            if self.blend_median3:                                # move the median part way to the 3-week median
                shift = self.blend_median3 * (weekly_median3(future) - out[..., 1])   # [N, H]
                out = out + shift.unsqueeze(-1)                   # the band moves with it
            return out.double().cpu().numpy()

    @staticmethod
    def postprocess(normalised: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return np.maximum(normalised * scale[:, None, None], 0.0)  # [N, H, 3] load units, >= 0

    @staticmethod
    def remarks(values: np.ndarray) -> list[str]:
        return []

    def predict(self, contexts: np.ndarray, last_epoch_hours: np.ndarray) -> np.ndarray:
        window, future, scale = self.preprocess(contexts, last_epoch_hours)
        return self.postprocess(self.infer(window, future), scale)


class LegacyEngine:
    """The original one-step network rolled forward hour by hour over a true sliding window.

    Its min-max scalers were fitted on one data set, so series far outside that range are out of
    distribution; it gives a median only (the band comes from the backtest residuals).
    """

    kind, method, gives_band = "legacy_onestep", "legacy_attention_lstm", False

    def __init__(self, model: LegacyAttentionLSTM, target_scaler, time_scaler, device: torch.device,
                 window: int = 48, horizon: int = 168):
        self.model, self.device, self.window, self.horizon = model.eval(), device, window, horizon
        self.context = window + WEEK                              # lag_168 of the window's first row
        self.load_min, self.load_scale = float(target_scaler.min_[0]), float(target_scaler.scale_[0])
        self.target_min = np.asarray(target_scaler.min_, dtype=np.float64)
        self.target_scale = np.asarray(target_scaler.scale_, dtype=np.float64)
        self.time_min = np.asarray(time_scaler.min_, dtype=np.float64)
        self.time_scale = np.asarray(time_scaler.scale_, dtype=np.float64)

    def remarks(self, values: np.ndarray) -> list[str]:
        """Say when a series lies outside the one fixed scale the original network was trained on."""
        low, high = 0.0 - self.load_min / self.load_scale, (1 - self.load_min) / self.load_scale
        if values.max() > 1.5 * high or values.max() < 0.2 * high:
            return [f"the original model was trained on one fixed scale ({low:g} to {high:g} per hour); "
                    f"this series (max {values.max():g}) lies outside it, so expect a poor forecast"]
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
