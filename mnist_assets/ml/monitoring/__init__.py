"""Drift: image and prediction statistics and the score comparing two of them."""
