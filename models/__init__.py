"""The forecasting core: what a worker needs to serve and to train.

- ``serving``: ``load_forecaster`` and the pipeline; ``serving_config``: every serving option;
- ``forecasters/``, ``transforms/``, ``selector``, ``scoring``: the pipeline's parts;
- ``network``, ``features``, ``artifacts``: the network, its inputs and its files;
- ``dataset``, ``training``: how the network learns.

This package module imports nothing heavy; ``models.serving`` imports torch.
"""
