"""Datasets: where MNIST comes from, its on-disk form, splits and data quality."""
