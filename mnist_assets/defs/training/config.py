"""The training run's Dagster config: every field of configs/training.yaml, overridable."""

import dagster as dg

from mnist_assets.env import config_defaults
from mnist_assets.ml.model import CnnConfig
from mnist_assets.ml.training import TrainConfig

_DEFAULTS = config_defaults("training")
_ARCH = _DEFAULTS["model"]["architecture"]
_TRAIN = _DEFAULTS["training"]


class ArchitectureConfig(dg.Config):
    """Shape of the network."""

    conv_channels: list[int] = _ARCH["conv_channels"]
    kernel_size: int = _ARCH["kernel_size"]
    hidden_units: int = _ARCH["hidden_units"]
    batch_norm: bool = _ARCH["batch_norm"]


class ModelConfig(dg.Config):
    """The registered model's name and its architecture."""

    name: str = _DEFAULTS["model"]["name"]
    architecture: ArchitectureConfig = ArchitectureConfig()
    dropout_rate: float = _DEFAULTS["model"]["dropout_rate"]

    def to_cnn_config(self) -> CnnConfig:
        arch = self.architecture
        return CnnConfig(
            conv_channels=tuple(arch.conv_channels),
            kernel_size=arch.kernel_size,
            hidden_units=arch.hidden_units,
            batch_norm=arch.batch_norm,
            dropout_rate=self.dropout_rate,
        )


class TrainingParams(dg.Config):
    """Optimisation settings; see mnist_assets.ml.training.TrainConfig for each field."""

    epochs: int = _TRAIN["epochs"]
    batch_size: int = _TRAIN["batch_size"]
    learning_rate: float = _TRAIN["learning_rate"]
    optimizer: str = _TRAIN["optimizer"]
    weight_decay: float = _TRAIN["weight_decay"]
    momentum: float = _TRAIN["momentum"]
    scheduler: str = _TRAIN["scheduler"]
    loss_function: str = _TRAIN["loss_function"]
    label_smoothing: float = _TRAIN["label_smoothing"]
    augment: bool = _TRAIN["augment"]
    outlier_exposure: float = _TRAIN["outlier_exposure"]
    max_shift_pixels: float = _TRAIN["max_shift_pixels"]
    max_rotation_degrees: float = _TRAIN["max_rotation_degrees"]
    early_stopping_patience: int = _TRAIN["early_stopping_patience"]
    seed: int = _TRAIN["seed"]
    deterministic: bool = _TRAIN["deterministic"]
    device: str = _TRAIN["device"]
    precision: str = _TRAIN["precision"]
    num_threads: int = _TRAIN["num_threads"]
    channels_last: bool = _TRAIN["channels_last"]

    def to_train_config(self) -> TrainConfig:
        return TrainConfig(**self.model_dump())


class TrainingRunConfig(dg.Config):
    """Run config of mnist_cnn: ``model`` and ``training`` sections, as in the YAML file."""

    model: ModelConfig = ModelConfig()
    training: TrainingParams = TrainingParams()
