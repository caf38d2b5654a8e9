"""Weekly seasonal naive: the last week again, with the band of its own backtest week's errors."""
from __future__ import annotations

import numpy as np

from models.features import HORIZON_HOURS
from models.forecast import QuantileForecast, SeriesBatch
from models.scoring import seasonal_naive
from models.transforms.band import residual_band


class WeeklyNaive:
    method = "seasonal_naive"

    def forecast(self, batch: SeriesBatch) -> QuantileForecast:
        """Every row's last week; the band only where the series has a backtest week (NaN elsewhere)."""
        n = batch.size
        median = np.stack([seasonal_naive(v, HORIZON_HOURS) for v in batch.histories + batch.befores()])
        p10, p90 = np.full_like(median, np.nan), np.full_like(median, np.nan)
        if batch.backtested:
            errors = batch.actual() - median[n:]                  # [M, 168]
            p10[batch.backtested], p90[batch.backtested] = residual_band(median[batch.backtested], errors)
        return QuantileForecast(p10, median, p90, [self.method] * len(median))
