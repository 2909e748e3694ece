import dataclasses

import pydantic
import pytest

from mnist_assets.defs.evaluation.config import ValidationConfig
from mnist_assets.defs.training.config import TrainingParams, TrainingRunConfig
from mnist_assets.env import config_defaults
from mnist_assets.ml.training.config import TrainConfig


def test_the_launchpad_offers_every_training_field_with_the_yaml_default() -> None:
    fields = TrainingParams.model_fields
    assert list(fields) == [f.name for f in dataclasses.fields(TrainConfig)]
    defaults = config_defaults("training")["training"]
    assert {name: field.default for name, field in fields.items()} == defaults


def test_defaults_reach_the_plain_dataclasses_unchanged() -> None:
    model, training = TrainingRunConfig().to_configs()
    assert list(model.conv_channels) == config_defaults("training")["model"]["conv_channels"]
    assert training.epochs == config_defaults("training")["training"]["epochs"]
    thresholds = ValidationConfig().thresholds()
    assert dataclasses.asdict(thresholds) == config_defaults("training")["validation"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("optimizer", "lbfgs"),  # not one of adam, adamw, sgd
        ("precision", "fp8"),  # not one of auto, fp32, bf16, fp16
        ("device", "tpu"),  # not one of auto, cpu, cuda
    ],
)
def test_choices_are_enforced_before_a_run_starts(field: str, value: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        TrainingParams(**{field: value})


def test_values_no_choice_can_express_fail_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        TrainingRunConfig(training=TrainingParams(learning_rate=-1.0)).to_configs()
