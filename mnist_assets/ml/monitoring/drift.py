"""Drift: summary statistics of images and predictions, and a score comparing two of them.

The score is the population stability index (PSI) between histograms,
``sum((p_live - p_ref) * ln(p_live / p_ref))`` over bins (both smoothed so no bin is empty).
Rule of thumb: below 0.1 no real shift, 0.1-0.25 moderate, above 0.25 a significant shift.
The overall score is the largest PSI over the statistics both sides have.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnist_assets.ml.data.dataset import NUM_CLASSES

PIXEL_BINS = 16  # histogram of all pixel intensities in [0, 1]
MEAN_BINS = 20  # histogram of per-image mean intensity in [0, 0.5] (MNIST means sit near 0.13)
MEAN_RANGE = (0.0, 0.5)
CONFIDENCE_BINS = 10  # histogram of the top softmax probability in [0, 1]
EPSILON = 1e-4


def upper_edges(bins: int, value_range: tuple[float, float]) -> tuple[float, ...]:
    """The upper bound of each histogram bin but the last (which also takes what lies above).

    The service's Prometheus histograms have buckets at these bounds, so live traffic read
    from Prometheus falls into the same bins as the reference.
    """
    return tuple(np.linspace(*value_range, bins + 1)[1:-1].round(6).tolist())


def _histogram(values: np.ndarray, bins: int, value_range: tuple[float, float]) -> list[float]:
    """Shares per equal-width bin; values outside the range count in the first or last bin.

    Same bins as ``np.histogram(np.clip(values, *value_range), bins, value_range)``, computed
    with ``bincount``: 3x faster on the 800,000 pixels of a live window.
    """
    low, high = value_range
    index = ((np.asarray(values, dtype=np.float64) - low) * (bins / (high - low))).astype(np.int64)
    counts = np.bincount(np.clip(index, 0, bins - 1), minlength=bins)
    return (counts / max(counts.sum(), 1)).tolist()


@dataclass(frozen=True)
class BatchStatistics:
    """Histograms (as shares summing to 1) of a set of images and, optionally, predictions."""

    count: int
    pixel_histogram: list[float] | None  # None where only per-image summaries are known
    mean_intensity_histogram: list[float]
    class_distribution: list[float] | None = None
    confidence_histogram: list[float] | None = None

    @classmethod
    def from_images(
        cls,
        pixels: np.ndarray,
        classes: np.ndarray | None = None,
        confidences: np.ndarray | None = None,
    ) -> BatchStatistics:
        """``pixels``: ``[N, 28, 28]`` floats in [0, 1]; ``classes``: labels or predictions."""
        flat = pixels.reshape(len(pixels), -1)
        class_distribution = None
        if classes is not None:
            counts = np.bincount(classes.astype(np.int64), minlength=NUM_CLASSES)
            class_distribution = (counts / max(counts.sum(), 1)).tolist()
        return cls(
            count=len(pixels),
            pixel_histogram=_histogram(flat.ravel(), PIXEL_BINS, (0.0, 1.0)),
            mean_intensity_histogram=_histogram(flat.mean(axis=1), MEAN_BINS, MEAN_RANGE),
            class_distribution=class_distribution,
            confidence_histogram=(
                None if confidences is None else _histogram(confidences, CONFIDENCE_BINS, (0, 1))
            ),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> BatchStatistics:
        return cls(**json.loads(path.read_text()))


def psi(reference: list[float], live: list[float]) -> float:
    """Population stability index between two histograms over the same bins."""
    ref = np.asarray(reference, dtype=np.float64) + EPSILON
    cur = np.asarray(live, dtype=np.float64) + EPSILON
    ref, cur = ref / ref.sum(), cur / cur.sum()
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def drift_scores(reference: BatchStatistics, live: BatchStatistics) -> dict[str, float]:
    """PSI per statistic both sides carry."""
    names = (
        "pixel_histogram",
        "mean_intensity_histogram",
        "class_distribution",
        "confidence_histogram",
    )
    scores = {}
    for name in names:
        ref, cur = getattr(reference, name), getattr(live, name)
        if ref is not None and cur is not None:
            scores[name] = psi(ref, cur)
    return scores


def drift_score(reference: BatchStatistics, live: BatchStatistics) -> float:
    """The largest PSI over the statistics both sides have: one number to alert on."""
    return max(drift_scores(reference, live).values())
