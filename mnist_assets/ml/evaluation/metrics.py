"""Classification metrics from labels and predicted probabilities, in plain numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_assets.ml.data.dataset import NUM_CLASSES


@dataclass(frozen=True)
class ClassificationMetrics:
    """Accuracy, per-class figures and their averages, confusion matrix and calibration.

    The confusion matrix has true classes as rows and predicted classes as columns.
    """

    accuracy: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    macro: dict[str, float]
    weighted: dict[str, float]
    confusion: list[list[int]]
    expected_calibration_error: float

    def per_class(self, prefix: str = "test_") -> dict[str, float]:
        """Precision, recall and F1 of each digit and their macro averages, as flat names.

        ``{"test_precision_0": ..., "test_f1_9": ..., "test_macro_recall": ...}``: the shape
        MLflow metrics take, so runs can be compared digit by digit.
        """
        flat = {
            f"{prefix}{name}_{digit}": value
            for name in ("precision", "recall", "f1")
            for digit, value in enumerate(getattr(self, name))
        }
        return flat | {f"{prefix}macro_{name}": value for name, value in self.macro.items()}


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int) -> np.ndarray:
    """``[classes, classes]`` counts; entry ``[t, p]`` is how often class t was predicted as p."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predictions.astype(np.int64)), 1)
    return matrix


def expected_calibration_error(
    confidences: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """Support-weighted mean gap between confidence and accuracy over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidences, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gap = abs(confidences[members].mean() - correct[members].mean())
            error += members.mean() * gap
    return float(error)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division that gives 0 where the denominator is 0 (no prediction/support)."""
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, classes: int = NUM_CLASSES
) -> ClassificationMetrics:
    """All figures for ``labels [N]`` against ``probabilities [N, classes]``."""
    predictions = probabilities.argmax(axis=1)
    matrix = confusion_matrix(labels, predictions, classes)
    true_positive = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = _safe_divide(true_positive, matrix.sum(axis=0))
    recall = _safe_divide(true_positive, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    weights = support / max(support.sum(), 1)
    confidences = probabilities.max(axis=1)
    return ClassificationMetrics(
        accuracy=float((predictions == labels).mean()),
        precision=precision.tolist(),
        recall=recall.tolist(),
        f1=f1.tolist(),
        support=support.tolist(),
        macro={
            "precision": float(precision.mean()),
            "recall": float(recall.mean()),
            "f1": float(f1.mean()),
        },
        weighted={
            "precision": float(weights @ precision),
            "recall": float(weights @ recall),
            "f1": float(weights @ f1),
        },
        confusion=matrix.tolist(),
        expected_calibration_error=expected_calibration_error(
            confidences, (predictions == labels).astype(np.float64)
        ),
    )
