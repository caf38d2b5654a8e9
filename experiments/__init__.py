"""Experiment harnesses: the data generator, training runs, backtests and the validation that chooses a model.

Nothing that serves imports this package: ``models`` trains on and serves whatever these harnesses hand it.
"""
