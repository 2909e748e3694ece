"""Drift of the live traffic: the most recent inputs scored against the model's reference."""

from __future__ import annotations

import numpy as np

from mnist_assets.ml.monitoring.drift import BatchStatistics, drift_score


class LiveDrift:
    """A ring buffer of the last ``window`` inputs and their predictions.

    Scoring histograms a whole window (about 2 ms), so it runs once every ``every`` images rather
    than per request: once per window by default, far more often than Prometheus scrapes at the
    rates that matter. Until ``window`` images have arrived the score is None (too little to judge).
    """

    def __init__(self, reference: BatchStatistics, window: int = 1024, every: int = 1024) -> None:
        self.reference = reference
        self.every = every
        self.pixels = np.zeros((window, 28, 28), dtype=np.float32)
        self.digits = np.zeros(window, dtype=np.int64)
        self.confidences = np.zeros(window, dtype=np.float32)
        self.seen = 0
        self._unscored = 0

    def update(
        self, pixels: np.ndarray, digits: np.ndarray, confidences: np.ndarray
    ) -> float | None:
        """Add a batch ``[N, 28, 28]``; returns a fresh score when one is due, else None."""
        window = len(self.pixels)
        for start in range(0, len(pixels), window):  # a batch larger than the window wraps
            chunk = slice(start, start + window)
            self._append(pixels[chunk], digits[chunk], confidences[chunk])
        self._unscored += len(pixels)
        if self.seen < window or self._unscored < self.every:
            return None
        self._unscored = 0
        return self.score()

    def score(self) -> float:
        """PSI of the window against the reference (the largest over the statistics)."""
        filled = min(self.seen, len(self.pixels))
        live = BatchStatistics.from_images(
            self.pixels[:filled], self.digits[:filled], self.confidences[:filled]
        )
        return drift_score(self.reference, live)

    def _append(self, pixels: np.ndarray, digits: np.ndarray, confidences: np.ndarray) -> None:
        window = len(self.pixels)
        slots = (self.seen + np.arange(len(pixels))) % window
        self.pixels[slots] = pixels
        self.digits[slots] = digits
        self.confidences[slots] = confidences
        self.seen += len(pixels)
