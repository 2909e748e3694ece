"""How to train: every setting of a training run, its type and why it is there.

No defaults here: mnist_assets/configs/training.yaml (section ``training``) owns them, and the
Dagster run config is derived from this class (mnist_assets/defs/training/config.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal, get_args

from mnist_assets.ml.training.runtime import Device, Precision

Optimizer = Literal["adam", "adamw", "sgd"]
Scheduler = Literal["onecycle", "cosine", "constant"]
Loss = Literal["cross_entropy"]


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation settings of one training run."""

    epochs: int  # passes over the training split
    batch_size: int  # images per optimizer step
    learning_rate: float  # peak rate of OneCycle; the constant rate otherwise
    optimizer: Optimizer  # AdamW decouples weight decay, which suits OneCycle's high peak
    weight_decay: float  # L2 pull towards zero, the main regulariser on small data
    momentum: float  # SGD only
    scheduler: Scheduler  # per-batch learning-rate schedule over the whole run
    loss_function: Loss  # the only loss a digit classifier needs
    label_smoothing: float  # softer targets calibrate better on small data
    augment: bool  # random shifts and rotations of each batch
    outlier_exposure: float  # extra noise images per batch, taught to get low confidence
    max_shift_pixels: float  # largest random shift of augmentation
    max_rotation_degrees: float  # largest random rotation of augmentation
    early_stopping_patience: int  # epochs without a better validation score; 0 = never stop
    seed: int  # seeds Python, numpy and torch, so a run can be repeated
    deterministic: bool  # torch.use_deterministic_algorithms for bitwise repeatability
    device: Device  # auto = CUDA when present
    precision: Precision  # auto = bf16 where the CPU or GPU has it natively, else fp32
    num_threads: int  # CPU intra-op threads; 0 = one per core
    channels_last: bool  # NHWC memory layout, faster convolutions on CPU and GPU
    cuda_graphs: bool  # on CUDA, replay each full batch's step as one graph: not launch-bound
    cuda_max_steps_per_epoch: int  # on CUDA, double the batch until an epoch fits; 0 = never

    def __post_init__(self) -> None:
        problems = []
        for name, kind in (
            ("optimizer", Optimizer),
            ("scheduler", Scheduler),
            ("loss_function", Loss),
            ("device", Device),
            ("precision", Precision),
        ):  # Literal types are not checked at run time
            if getattr(self, name) not in get_args(kind):
                allowed, got = get_args(kind), getattr(self, name)
                problems.append(f"{name} must be one of {allowed}, got {got!r}")
        if self.epochs < 1 or self.batch_size < 1:
            problems.append(
                f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}"
            )
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be positive, got {self.learning_rate}")
        if not 0 <= self.outlier_exposure <= 1:
            problems.append(f"outlier_exposure must be in [0, 1], got {self.outlier_exposure}")
        if not 0 <= self.label_smoothing < 1:
            problems.append(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if problems:
            raise ValueError("; ".join(problems))

    def for_device(self, device_type: str, train_size: int) -> TrainConfig:
        """The settings a run on ``device_type`` uses for ``train_size`` training images.

        On CUDA a step costs about the same at 128 images as at 1,024, so a large training set
        gets a larger batch: doubled until an epoch takes at most ``cuda_max_steps_per_epoch``
        steps, the learning rate scaled by the square root of the growth (as for Adam-style
        optimizers). The bundled 4,000 images keep the configured batch.
        """
        limit = self.cuda_max_steps_per_epoch
        if device_type != "cuda" or limit < 1:
            return self
        batch = self.batch_size
        while math.ceil(train_size / batch) > limit:
            batch *= 2
        if batch == self.batch_size:
            return self
        growth = batch / self.batch_size
        return replace(self, batch_size=batch, learning_rate=self.learning_rate * math.sqrt(growth))
