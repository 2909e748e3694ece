"""mnist_cnn's run config: the fields of CnnConfig and TrainConfig, defaults from the YAML file."""

import dagster as dg

from mnist_assets.defs.shared.config import dagster_config
from mnist_assets.env import config_defaults
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.model import CnnConfig

_DEFAULTS = config_defaults("training")


class ModelParams(dagster_config(CnnConfig, _DEFAULTS["model"])):  # type: ignore[misc]
    """The network: see mnist_assets.ml.training.model.CnnConfig for each field."""


class TrainingParams(dagster_config(TrainConfig, _DEFAULTS["training"])):  # type: ignore[misc]
    """Optimisation settings: see mnist_assets.ml.training.config.TrainConfig for each field."""


class TrainingRunConfig(dg.Config):
    """Run config of mnist_cnn: ``model`` and ``training`` sections, as in the YAML file."""

    model: ModelParams = ModelParams()
    training: TrainingParams = TrainingParams()

    def to_configs(self) -> tuple[CnnConfig, TrainConfig]:
        """The plain dataclasses that ``fit`` takes."""
        return (
            CnnConfig.from_dict(self.model.model_dump()),
            TrainConfig(**self.training.model_dump()),
        )
