"""Run config of validation_report: the gate's thresholds (defaults: configs/training.yaml)."""

import dagster as dg

from mnist_assets.env import config_defaults
from mnist_assets.ml.validation import GateThresholds

_GATE = config_defaults("training")["validation"]


class ValidationConfig(dg.Config):
    """Thresholds of the promotion gate; recorded in the report the checks read."""

    min_accuracy: float = _GATE["min_accuracy"]
    min_class_recall: float = _GATE["min_class_recall"]
    max_regression: float = _GATE["max_regression"]
    max_shift_flip_rate: float = _GATE["max_shift_flip_rate"]
    max_ood_confidence: float = _GATE["max_ood_confidence"]

    def to_thresholds(self) -> GateThresholds:
        return GateThresholds(**self.model_dump())
