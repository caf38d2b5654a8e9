"""The values that pass between the serving pipeline's parts: a batch of series, quantile forecasts, outputs.

A batch's rows are its series' forecasts first, then one backtest row for each series with at least two
weeks of history: the forecast of its last week from the history before it. Every forecaster forecasts
all rows in one pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.features import WEEK
from models.notes import Note


@dataclass
class SeriesBatch:
    histories: list[np.ndarray]       # [N] raw series, float64, >= 0, oldest first
    lasts: np.ndarray                 # [N] epoch hour of each series' last value
    backtested: list[int]             # [M] the series with at least two weeks: their backtest rows follow
    inputs: list[np.ndarray]          # [N + M] each row's history as the forecasters see it (cleaned or raw)
    notes: list[list[Note]]           # [N] facts the input transforms found per series

    @classmethod
    def of(cls, histories: list[np.ndarray], lasts: list[int]) -> "SeriesBatch":
        backtested = [i for i, values in enumerate(histories) if len(values) >= 2 * WEEK]
        inputs = list(histories) + [histories[i][:-WEEK] for i in backtested]
        return cls(histories, np.asarray(lasts, dtype=np.int64), backtested, inputs, [[] for _ in histories])

    @property
    def size(self) -> int:
        return len(self.histories)

    @property
    def row_lasts(self) -> np.ndarray:
        """[N + M] the last epoch hour of each row's history."""
        return np.concatenate([self.lasts, self.lasts[self.backtested] - WEEK])

    def befores(self) -> list[np.ndarray]:
        """[M] each backtested series' raw history before its last week."""
        return [self.histories[i][:-WEEK] for i in self.backtested]

    def actual(self) -> np.ndarray:
        """[M, 168] each backtested series' last week."""
        return np.stack([self.histories[i][-WEEK:] for i in self.backtested])


@dataclass
class QuantileForecast:
    p10: np.ndarray                   # [R, H] float64
    median: np.ndarray                # [R, H]
    p90: np.ndarray                   # [R, H]
    method: list[str]                 # [R] what forecast each row
    notes: list[list[Note]] = field(default_factory=list)   # [R] facts per row (the forecast rows' matter)

    def rows(self, index) -> "QuantileForecast":
        pick = list(index)
        return QuantileForecast(self.p10[pick], self.median[pick], self.p90[pick], [self.method[i] for i in pick],
                                [self.notes[i] for i in pick] if self.notes else [])


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
    notes: list[Note] = field(default_factory=list)
