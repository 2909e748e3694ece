"""Run config of validation_report: the gate's thresholds (GateThresholds, YAML defaults)."""

from mnist_assets.defs.shared.config import dagster_config
from mnist_assets.env import config_defaults
from mnist_assets.ml.evaluation.validation import GateThresholds

_DEFAULTS = config_defaults("training")["validation"]


class ValidationConfig(dagster_config(GateThresholds, _DEFAULTS)):  # type: ignore[misc]
    """Thresholds of the promotion gate; recorded in the report the checks read."""

    def thresholds(self) -> GateThresholds:
        return GateThresholds(**self.model_dump())
