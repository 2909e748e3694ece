"""The promotion gate: checks on validation_report, one per rule in ml/evaluation/gate.py."""

from mnist_assets.defs.evaluation.assets import validation_report
from mnist_assets.defs.shared.checks import verdict_check
from mnist_assets.ml.evaluation.gate import BLOCKING_RULES, check_behaviour
from mnist_assets.ml.evaluation.validation import ValidationReport

gate_checks = [
    *(
        verdict_check(validation_report, name, rule, ValidationReport)
        for name, rule in BLOCKING_RULES.items()
    ),
    # Reported, not enforced: a warning in the UI when the model behaves oddly off-distribution.
    verdict_check(
        validation_report, "behaviour", check_behaviour, ValidationReport, blocking=False
    ),
]
