"""The forecasting core: network, training data, training, backtests, serving and artifacts.

Import ``models.serving`` for ``load_forecaster``; this package module imports nothing heavy.
"""
