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


def check_behaviour(report: ValidationReport) -> Verdict:
    """One-pixel shifts rarely flip a prediction; blank and noise images get low confidence."""
    limits, b = report.thresholds, report.behaviour
    metadata: dict[str, float | int | str] = {
        "shift_flip_rate": b.shift_flip_rate,
        "blank_confidence": b.blank_confidence,
        "noise_confidence": b.noise_confidence,
    }
    problems = []
    if b.shift_flip_rate > limits.max_shift_flip_rate:
        problems.append(
            f"one-pixel shifts flip {b.shift_flip_rate:.2%} of predictions "
            f"(limit {limits.max_shift_flip_rate:.2%})"
        )
    for name, confidence in (("blank", b.blank_confidence), ("noise", b.noise_confidence)):
        if confidence > limits.max_ood_confidence:
            problems.append(
                f"{name} images get {confidence:.2f} confidence (limit {limits.max_ood_confidence})"
            )
    if problems:
        return Verdict(False, "; ".join(problems), metadata)
    return Verdict(True, "robust to shifts, unsure on blank and noise images", metadata)


# The rules a candidate must pass to be promoted, by check name; behaviour is only reported.
BLOCKING_RULES = {
    "accuracy_threshold": check_accuracy,
    "class_recall_floor": check_class_recall,
    "no_regression": check_no_regression,
}


def gate_failures(report: ValidationReport) -> list[str]:
    """What keeps ``report``'s candidate from promotion: one line per failed blocking rule."""
    return [
        f"{name}: {verdict.description}"
        for name, rule in BLOCKING_RULES.items()
        if not (verdict := rule(report)).passed
    ]
