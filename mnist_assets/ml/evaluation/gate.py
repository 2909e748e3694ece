"""The promotion gate: what a candidate must show before it may replace the champion.

The thresholds travel inside the report, so a verdict always names the limits it applied.
"""

from __future__ import annotations

import math

import numpy as np

from mnist_assets.ml.evaluation.validation import ValidationReport
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


def worse_p_value(champion_only: int, candidate_only: int) -> float:
    """One-sided exact McNemar test: is the candidate worse than the champion?

    Only the test digits the two models disagree on carry evidence. Were the models equally
    accurate, each of those would be the champion's with probability one half; the p-value is
    the chance of the champion winning at least ``champion_only`` of them by luck alone.
    """
    disagreements = champion_only + candidate_only
    tail = sum(math.comb(disagreements, k) for k in range(champion_only, disagreements + 1))
    return tail / 2**disagreements


def check_no_regression(report: ValidationReport) -> Verdict:
    """The candidate is not worse than the champion with confidence, digit by digit.

    Blocks when the one-sided exact McNemar test on the paired test predictions gives
    p < ``regression_alpha``: a difference of a few digits between two equally good models is
    chance, a consistent lead of the champion on the digits they disagree on is not.
    """
    limits, champion = report.thresholds, report.champion
    if champion is None:
        return Verdict(True, "no champion yet: the first model that passes becomes champion")
    metadata: dict[str, float | int | str] = {
        "champion_version": champion.version,
        "compared_digits": champion.examples,
        "excluded_digits": champion.excluded,
        "min_compared_digits": limits.min_compared_digits,
    }
    if champion.examples < limits.min_compared_digits:
        why = (
            f"champion v{champion.version} kept no record of the digits it saw"
            if not champion.recorded
            else f"{champion.excluded} were seen in training or validation by a model"
        )
        text = (
            f"only {champion.examples} test digits are unseen by both models ({why}), fewer than "
            f"the {limits.min_compared_digits} the comparison needs; lower "
            "validation.min_compared_digits to decide on fewer, or grow the data"
        )
        return Verdict(False, text, {**metadata, "decision": "blocked: too few digits"})
    p_value = worse_p_value(champion.champion_only, champion.candidate_only)
    worse = p_value < limits.regression_alpha
    metadata |= {
        "champion_accuracy": champion.accuracy,
        "candidate_accuracy": report.metrics.accuracy,
        "champion_right_candidate_wrong": champion.champion_only,
        "candidate_right_champion_wrong": champion.candidate_only,
        "p_value": p_value,
        "alpha": limits.regression_alpha,
        "decision": "blocked: worse with confidence" if worse else "passed: not shown worse",
    }
    evidence = (
        f"candidate {report.metrics.accuracy:.2%} vs champion v{champion.version} "
        f"{champion.accuracy:.2%} on {champion.examples} test digits neither saw "
        f"({champion.excluded} excluded); of the {champion.champion_only + champion.candidate_only}"
        f" they disagree on, the champion is right on {champion.champion_only}, the "
        f"candidate on {champion.candidate_only} (McNemar p = {p_value:.3g}"
    )
    if worse:
        return Verdict(False, f"{evidence} < {limits.regression_alpha}): worse", metadata)
    return Verdict(True, f"{evidence} >= {limits.regression_alpha}): not worse", metadata)


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
