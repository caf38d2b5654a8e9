"""Which forecast serves each series, decided from its backtest week.

- The seasonal trend serves where its backtest MASE beats both the network's and weekly naive's by more
  than ``seasonal_trend_margin``.
- Otherwise weekly naive serves where it beat the network (``fallback_to_seasonal_naive``), fading into
  the network over ``fallback_fade_hours``, unless the last week differs from the one before by
  ``fallback_max_week_change`` or more (one lost week says little about irregular series), or the day level
  both lasts and wanders past ``fallback_level_gate`` (a week-old copy would be stale).
- Otherwise the network serves.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.features import HORIZON_HOURS, WEEK
from models.notes import Note
from models.serving_config import ServingConfig
from models.transforms.persistent_level import LevelCorrection

NETWORK, TREND, NAIVE = "network", "seasonal_trend", "seasonal_naive"
FLOAT32_NOISE = 1e-5     # the network loses only by more than its own rounding


@dataclass
class Choice:
    source: str                                     # NETWORK | TREND | NAIVE
    notes: list[Note] = field(default_factory=list)


def fade_shares(fade_hours: tuple[int, int], horizon: int = HORIZON_HOURS) -> np.ndarray:
    """[horizon] weekly naive's share of a fallen-back forecast: 1 through hour ``full``, 0 from ``end`` on."""
    full, end = fade_hours
    hours = np.arange(1, horizon + 1)
    if end == full:
        return (hours <= full).astype(np.float64)
    return np.clip((end - hours) / (end - full), 0.0, 1.0)


def week_change(values: np.ndarray) -> float:
    """Mean absolute change from the week before to the last week, as a share of the last week's mean."""
    last, before = values[-WEEK:], values[-2 * WEEK:-WEEK]
    change = float(np.abs(last - before).mean())
    return change / max(float(last.mean()), 1e-12) if change > 0 else 0.0


class Selector:
    def __init__(self, config: ServingConfig):
        self.config = config
        self.naive_share = fade_shares(config.fallback_fade_hours)   # [168]

    def choose(self, values: np.ndarray, report: dict, level: LevelCorrection | None) -> Choice:
        """``report``: the series' backtest MASEs (``mase_model``, ``mase_seasonal_naive``, maybe
        ``mase_seasonal_trend``); ``level``: its measured day level, if any."""
        if self._trend_won(report):
            margin = self.config.seasonal_trend_margin
            return Choice(TREND, [Note("seasonal_trend_served", {
                "margin": margin, "mase_trend": report["mase_seasonal_trend"], "mase_model": report["mase_model"],
                "mase_naive": report["mase_seasonal_naive"]})])
        lost = report["mase_model"] > report["mase_seasonal_naive"] * (1 + FLOAT32_NOISE)
        if not (self.config.fallback_to_seasonal_naive and lost):
            return Choice(NETWORK)
        refusal = self._irregular(values) or self._level_wanders(level)
        return Choice(NETWORK, [refusal]) if refusal else Choice(NAIVE)

    def mix(self, naive: tuple[np.ndarray, ...], network: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Weekly naive's quantiles [168] faded into the network's, hour by hour."""
        share = self.naive_share
        return tuple(share * a + (1 - share) * b for a, b in zip(naive, network))

    def naive_notes(self, hours: int) -> tuple[str, Note]:
        """The method and note of a fallen-back forecast of ``hours`` hours."""
        full, end = self.config.fallback_fade_hours
        if hours <= full:                                         # every requested hour is naive's
            return "seasonal_naive", Note("seasonal_naive_served")
        return "seasonal_naive_then_attention_bilstm", Note("seasonal_naive_then_network", {"full": full, "end": end})

    def _trend_won(self, report: dict) -> bool:
        margin = self.config.seasonal_trend_margin
        if margin is None or "mase_seasonal_trend" not in report:
            return False
        best = min(report["mase_model"], report["mase_seasonal_naive"])
        return report["mase_seasonal_trend"] < best * (1 - margin)

    def _irregular(self, values: np.ndarray) -> Note | None:
        limit = self.config.fallback_max_week_change
        if limit is None:
            return None
        change = week_change(values)
        return None if change < limit else Note("fallback_refused_irregular_weeks", {"change": change, "limit": limit})

    def _level_wanders(self, level: LevelCorrection | None) -> Note | None:
        gate = self.config.fallback_level_gate
        if gate is None or level is None:
            return None
        persistence, spread = gate
        if level.persistence > persistence and level.spread > spread:
            return Note("fallback_refused_level_wanders", {
                "spread": float(level.spread), "persistence": float(level.persistence),
                "gate_persistence": persistence, "gate_spread": spread})
        return None
