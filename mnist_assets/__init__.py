"""mnist-assets: an MNIST classifier carried from raw data to a monitored service by Dagster.

The code location is ``mnist_assets.definitions``; ``mnist_assets.ml`` is plain PyTorch/numpy
and never imports Dagster or MLflow.
"""
