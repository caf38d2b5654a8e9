"""The network's median moved part way toward the median of the same hour 1, 2 and 3 weeks back.

Applied to the network's normalised output, before it is scaled back to load units; the band moves with
the median, so its width is the network's.
"""
from __future__ import annotations

import torch

from models.network import weekly_median3


class Median3Blend:
    def __init__(self, weight: float):
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"blend_median3 must lie in (0, 1], got {weight!r}")
        self.weight = float(weight)

    def apply(self, out: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        """out [N, H, 3] normalised quantiles, future [N, H, F] head features -> [N, H, 3]."""
        shift = self.weight * (weekly_median3(future) - out[..., 1])   # [N, H]
        return out + shift.unsqueeze(-1)
