"""The promotion gate: what a candidate must show before it may replace the champion.

The thresholds travel inside the report, so a verdict always names the limits it applied.
"""

from __future__ import annotations

import numpy as np

from mnist_assets.ml.validation import ValidationReport
from mnist_assets.ml.verdict import Verdict


def check_accuracy(report: ValidationReport) -> Verdict:
    """Test accuracy reaches ``min_accuracy``."""
    limits = report.thresholds
    accuracy = report.metrics.accuracy
    metadata: dict[str, float | int | str] = {
        "accuracy": accuracy,
        "threshold": limits.min_accuracy,
    }
    if accuracy < limits.min_accuracy:
        short = limits.min_accuracy - accuracy
        text = (
            f"accuracy {accuracy:.2%} is {short:.2%} below the {limits.min_accuracy:.2%} threshold"
        )
        return Verdict(False, text, metadata)
    return Verdict(True, f"accuracy {accuracy:.2%} >= {limits.min_accuracy:.2%}", metadata)


def check_class_recall(report: ValidationReport) -> Verdict:
    """Every digit's recall reaches ``min_class_recall``."""
    limits = report.thresholds
    recall = np.array(report.metrics.recall)
    weakest = int(recall.argmin())
    metadata: dict[str, float | int | str] = {
        "weakest_class": weakest,
        "weakest_recall": float(recall[weakest]),
        "floor": limits.min_class_recall,
    }
    failing = [d for d in range(len(recall)) if recall[d] < limits.min_class_recall]
    if failing:
        details = ", ".join(f"digit {d} {recall[d]:.2%}" for d in failing)
        text = f"recall below the {limits.min_class_recall:.2%} floor: {details}"
        return Verdict(False, text, metadata)
    return Verdict(True, f"weakest recall: digit {weakest} at {recall[weakest]:.2%}", metadata)


def check_no_regression(report: ValidationReport) -> Verdict:
    """The champion beats the candidate on the same test split by at most ``max_regression``."""
    limits = report.thresholds
    if report.champion is None:
        return Verdict(True, "no champion yet: the first model that passes becomes champion")
    lead = report.champion.accuracy - report.metrics.accuracy
    metadata: dict[str, float | int | str] = {
        "champion_version": report.champion.version,
        "champion_accuracy": report.champion.accuracy,
        "candidate_accuracy": report.metrics.accuracy,
        "tolerance": limits.max_regression,
    }
    if lead > limits.max_regression:
        text = (
            f"champion v{report.champion.version} scores {report.champion.accuracy:.2%}, "
            f"{lead:.2%} above the candidate's {report.metrics.accuracy:.2%} "
            f"(tolerance {limits.max_regression:.2%})"
        )
        return Verdict(False, text, metadata)
    text = (
        f"candidate {report.metrics.accuracy:.2%} vs champion v{report.champion.version} "
        f"{report.champion.accuracy:.2%}: within tolerance"
    )
    return Verdict(True, text, metadata)


GATE_RULES = (check_accuracy, check_class_recall, check_no_regression)
