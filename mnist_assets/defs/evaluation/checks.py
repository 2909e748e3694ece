"""The promotion gate: checks on validation_report, one per rule in ml/gate.py."""

from mnist_assets.defs.checks import verdict_check
from mnist_assets.defs.evaluation.assets import validation_report
from mnist_assets.ml.gate import (
    check_accuracy,
    check_behaviour,
    check_class_recall,
    check_no_regression,
)
from mnist_assets.ml.validation import ValidationReport

gate_checks = [
    verdict_check(validation_report, "accuracy_threshold", check_accuracy, ValidationReport),
    verdict_check(validation_report, "class_recall_floor", check_class_recall, ValidationReport),
    verdict_check(validation_report, "no_regression", check_no_regression, ValidationReport),
    # Reported, not enforced: a warning in the UI when the model behaves oddly off-distribution.
    verdict_check(
        validation_report, "behaviour", check_behaviour, ValidationReport, blocking=False
    ),
]
