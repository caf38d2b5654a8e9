"""The ways of forecasting, one class a file, each with ``forecast(batch) -> QuantileForecast``.

- ``network.NetworkForecaster``: the attention BiLSTM's multi-horizon quantiles (the default);
- ``legacy.LegacyForecaster``: the original service's one-step network rolled forward hour by hour;
- ``seasonal_naive.WeeklyNaive``: last week again, with the band of its backtest errors;
- ``seasonal_trend.SeasonalTrend``: weekly profile times the last day's level with a damped trend.
"""
