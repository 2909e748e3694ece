"""The default settings (mnist_assets/configs) as plain dataclasses, for tests to vary."""

from dataclasses import replace
from typing import Any

from mnist_assets.defs.data.assets import SplitConfig
from mnist_assets.defs.evaluation.config import ValidationConfig
from mnist_assets.defs.serving.optimized import OptimizationConfig
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.ml.data.splits import SplitFractions
from mnist_assets.ml.evaluation.validation import GateThresholds
from mnist_assets.ml.inference.variants import EligibilityRule
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.model import CnnConfig

_MODEL, _TRAINING = TrainingRunConfig().to_configs()
DEFAULT_FRACTIONS: SplitFractions = SplitConfig().fractions()
DEFAULT_RULE: EligibilityRule = OptimizationConfig().rule()


def model_config(**overrides: Any) -> CnnConfig:
    return replace(_MODEL, **overrides)


def train_config(**overrides: Any) -> TrainConfig:
    return replace(_TRAINING, **overrides)


def gate_thresholds(**overrides: Any) -> GateThresholds:
    return replace(ValidationConfig().thresholds(), **overrides)
