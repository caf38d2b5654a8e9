"""The attention BiLSTM: a shared window encoder, the multi-horizon quantile head and the original one-step head."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from models.features import HEAD_FEATURES_BASE

WINDOW_FEATURES = 5   # load, lag_24, lag_168, hour of day, day of week (each row its own hour)
HEAD_BASES = ("weekly", "weekly+median3")   # what the head's median corrects: see MultiHorizonForecaster


def median_of_3(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Elementwise median of three tensors (exact; ten times faster than ``torch.median`` on a stack)."""
    return torch.maximum(torch.minimum(a, b), torch.minimum(torch.maximum(a, b), c))


def weekly_median3(future: torch.Tensor) -> torch.Tensor:
    """[..., H]: the median of each target hour's values 1, 2 and 3 weeks back (head features 0..2)."""
    return median_of_3(future[..., 0], future[..., 1], future[..., 2])


class WindowEncoder(nn.Module):
    """2-layer bidirectional LSTM over the window, pooled by additive attention."""

    def __init__(self, input_size: int = WINDOW_FEATURES, hidden_size: int = 128,
                 num_layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout)
        self.attention = nn.Linear(2 * hidden_size, 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        # The LSTM may be held in bfloat16 for serving (see models.forecasters.network); the rest stays float32.
        states, _ = self.lstm(window.to(self.lstm.weight_hh_l0.dtype))  # [B, W, 5] -> [B, W, 256]
        states = states.to(window.dtype)
        scores = torch.tanh(self.attention(states))               # [B, W, 256] -> [B, W, 1]
        weights = torch.softmax(scores, dim=1)                    # softmax over time
        return (weights * states).sum(dim=1)                      # [B, W, 256] -> [B, 256]


class MultiHorizonForecaster(nn.Module):
    """Encoder plus an MQ-RNN style head: one pass gives p10/p50/p90 for every horizon 1..H.

    The head predicts a correction on top of weekly seasonal naive (the target hour's value one
    week back, feature 0 of ``future``), in the window's normalised units; quantiles cannot cross
    because p10 and p90 are the median minus / plus a softplus. With ``base="weekly+median3"`` the
    correction sits on the mean of that value and the median of the values 1, 2 and 3 weeks back
    (features 0..2), which one anomalous week (a holiday) moves only half as far.

    With ``level_scale=True`` the head also predicts a multiplicative factor for the base,
    ``exp(clamp(g, -1, 1))``, starting at 1. Without it, following a series whose level moved (growth,
    weather) means learning a correction proportional to the base, a product of two inputs that the
    head's additive ReLU layers learn poorly.
    """

    def __init__(self, input_size: int = WINDOW_FEATURES, hidden_size: int = 128, num_layers: int = 2,
                 dropout: float = 0.2, window: int = 48, horizon: int = 168,
                 head_features: int = HEAD_FEATURES_BASE, head_hidden: int = 64,
                 quantiles: tuple[float, ...] = (0.1, 0.5, 0.9), base: str = "weekly",
                 level_scale: bool = False):
        super().__init__()
        if base not in HEAD_BASES:
            raise ValueError(f"base must be one of {', '.join(HEAD_BASES)}, got {base!r}")
        self.hparams = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                            dropout=dropout, window=window, horizon=horizon, head_features=head_features,
                            head_hidden=head_hidden, quantiles=list(quantiles))
        if base != "weekly":                                      # older artifacts lack the key: weekly
            self.hparams["base"] = base
        if level_scale:                                           # older artifacts lack the key: off
            self.hparams["level_scale"] = True
        self.level_scale = level_scale
        self.window, self.horizon, self.quantiles, self.base = window, horizon, tuple(quantiles), base
        self.encoder = WindowEncoder(input_size, hidden_size, num_layers, dropout)
        self.context_proj = nn.Linear(2 * hidden_size, head_hidden)
        self.future_proj = nn.Linear(head_features, head_hidden)
        self.horizon_embedding = nn.Embedding(horizon, head_hidden)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(head_hidden, head_hidden), nn.ReLU(),
                                  nn.Linear(head_hidden, 4 if level_scale else 3))
        nn.init.zeros_(self.head[-1].weight)                      # start as the base exactly
        with torch.no_grad():                                     # and a modest band (softplus(-1) ~ 0.31)
            self.head[-1].bias.copy_(torch.tensor([-1.0, 0.0, -1.0, 0.0][: self.head[-1].out_features]))

    def forward(self, window: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        """window [B, W, 5], future [B, H, F] -> quantiles [B, H, 3] (p10, p50, p90), normalised units."""
        context = self.context_proj(self.encoder(window))         # [B, 256] -> [B, D]
        hidden = (context.unsqueeze(1)                            # [B, 1, D]
                  + self.future_proj(future)                      # [B, H, F] -> [B, H, D]
                  + self.horizon_embedding.weight[: future.shape[1]])  # [H, D]
        raw = self.head(hidden)                                   # [B, H, D] -> [B, H, 3 or 4]
        base = self.base_forecast(future)
        if self.level_scale:                                      # the base moved by a level factor
            base = base * torch.exp(raw[..., 3].clamp(-1.0, 1.0))
        median = base + raw[..., 1]                               # a correction on the base
        lower = median - F.softplus(raw[..., 0])
        upper = median + F.softplus(raw[..., 2])
        return torch.stack((lower, median, upper), dim=-1)        # [B, H, 3]

    def base_forecast(self, future: torch.Tensor) -> torch.Tensor:
        """[B, H]: what the head corrects, from the target hour's values 1, 2, 3 weeks back."""
        if self.base == "weekly":
            return future[..., 0]
        return 0.5 * future[..., 0] + 0.5 * weekly_median3(future)


class LegacyAttentionLSTM(WindowEncoder):
    """The original service's network: the same encoder plus one next-hour output (keys lstm/attention/fc)."""

    def __init__(self, input_size: int = WINDOW_FEATURES, hidden_size: int = 128,
                 num_layers: int = 2, dropout: float = 0.2):
        super().__init__(input_size, hidden_size, num_layers, dropout)
        self.fc = nn.Linear(2 * hidden_size, 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.fc(super().forward(window))                   # [B, W, 5] -> [B, 256] -> [B, 1] scaled
