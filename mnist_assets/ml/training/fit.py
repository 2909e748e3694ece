"""Training: ``train_one_epoch``, ``evaluate`` and ``fit`` over tensors held on the device.

MNIST fits in memory, so batches are slices of one shuffled index tensor: no DataLoader, no
per-sample Python work, no copies between host and device inside the loop.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.inference.batched import predict_logits
from mnist_assets.ml.training.allocator import keep_freed_memory
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.model import CnnConfig, MnistCnn, to_pixels
from mnist_assets.ml.training.optimizers import build_optimizer, build_scheduler
from mnist_assets.ml.training.runtime import Runtime, configure_threads
from mnist_assets.ml.training.step import TrainStep


@dataclass(frozen=True)
class EpochStats:
    """What one epoch did; ``lr`` is the learning rate at the epoch's end."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    lr: float
    seconds: float


@dataclass
class FitResult:
    """The trained model (best validation epoch restored) and how training went."""

    model: MnistCnn
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    train_seconds: float = 0.0
    images_per_second: float = 0.0
    stopped_early: bool = False
    runtime: str = ""
    batch_size: int = 0  # as trained: on CUDA a large training set gets a larger batch
    learning_rate: float = 0.0  # as trained, scaled with the batch


@dataclass
class BestEpoch:
    """Tracks the best validation epoch: highest accuracy, ties to the lower loss."""

    patience: int  # epochs without improvement before stopping; 0 = never
    epoch: int = 0
    score: tuple[float, float] = (-1.0, 0.0)

    def update(self, epoch: int, val_accuracy: float, val_loss: float) -> bool:
        """Record an epoch; True when it is the best so far."""
        if (val_accuracy, -val_loss) > self.score:
            self.epoch, self.score = epoch, (val_accuracy, -val_loss)
            return True
        return False

    def should_stop(self, epoch: int) -> bool:
        return self.patience > 0 and epoch - self.epoch >= self.patience


@dataclass(frozen=True)
class DeviceData:
    """A split's pixels and labels on the training device."""

    pixels: torch.Tensor  # float [N, 1, 28, 28] in [0, 1]
    labels: torch.Tensor  # int64 [N]

    @classmethod
    def from_arrays(
        cls, data: MnistArrays, device: torch.device, channels_last: bool
    ) -> DeviceData:
        pixels = to_pixels(torch.from_numpy(data.images)).to(device)
        if channels_last:
            pixels = pixels.contiguous(memory_format=torch.channels_last)
        return cls(pixels, torch.from_numpy(data.labels.astype(np.int64)).to(device))


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, numpy and torch; optionally insist on deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic, warn_only=False)
    torch.backends.cudnn.benchmark = not deterministic


def train_one_epoch(
    model: nn.Module,
    data: DeviceData,
    step: TrainStep,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    config: TrainConfig,
    generator: torch.Generator,
) -> tuple[float, float]:
    """One pass over ``data`` in shuffled batches; returns (mean loss, accuracy)."""
    model.train()
    order = torch.randperm(len(data.labels), generator=generator, device=generator.device)
    total_loss = torch.zeros((), device=data.labels.device)
    correct = torch.zeros((), dtype=torch.int64, device=data.labels.device)
    for batch in order.split(config.batch_size):
        labels = data.labels[batch]
        loss, logits = step(data.pixels[batch], labels)
        scheduler.step()
        # Accumulate on the device; one host sync per epoch instead of one per batch.
        total_loss += loss * len(batch)
        correct += (logits.argmax(1) == labels).sum()
    count = len(data.labels)
    return total_loss.item() / count, correct.item() / count


def evaluate(model: nn.Module, data: DeviceData, runtime: Runtime) -> tuple[float, float]:
    """(cross-entropy loss, accuracy) on ``data``, without label smoothing."""
    logits = predict_logits(model, data.pixels, runtime)
    loss = F.cross_entropy(logits, data.labels).item()
    return loss, (logits.argmax(1) == data.labels).float().mean().item()


def fit(
    model_config: CnnConfig,
    config: TrainConfig,
    train: MnistArrays,
    val: MnistArrays,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> FitResult:
    """Train a fresh model and return the weights of its best validation epoch.

    "Best" is the highest validation accuracy, ties going to the lower validation loss.
    """
    configure_threads(config.num_threads)
    keep_freed_memory()
    seed_everything(config.seed, config.deterministic)
    runtime = Runtime.resolve(config.device, config.precision)
    config = config.for_device(runtime.device.type, len(train))
    model = MnistCnn(model_config).to(runtime.device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    train_data = DeviceData.from_arrays(train, runtime.device, config.channels_last)
    val_data = DeviceData.from_arrays(val, runtime.device, config.channels_last)
    generator = torch.Generator(device=runtime.device).manual_seed(config.seed)
    optimizer = build_optimizer(model, config)
    steps = -(-len(train) // config.batch_size)
    scheduler = build_scheduler(optimizer, config, steps)
    step = TrainStep(model, optimizer, config, runtime, generator)

    result = FitResult(model=model, runtime=f"{runtime.device.type}/{runtime.precision}")
    result.batch_size, result.learning_rate = config.batch_size, config.learning_rate
    best, best_state = BestEpoch(config.early_stopping_patience), copy.deepcopy(model.state_dict())
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(
            model, train_data, step, scheduler, config, generator
        )
        seconds = time.perf_counter() - start
        result.train_seconds += seconds
        val_loss, val_acc = evaluate(model, val_data, runtime)
        lr = float(scheduler.get_last_lr()[0])
        stats = EpochStats(epoch, train_loss, train_acc, val_loss, val_acc, lr, seconds)
        result.history.append(stats)
        if on_epoch is not None:
            on_epoch(stats)
        if best.update(epoch, val_acc, val_loss):
            best_state = copy.deepcopy(model.state_dict())
        if best.should_stop(epoch) and epoch < config.epochs:
            result.stopped_early = True
            break
    model.load_state_dict(best_state)
    model.eval()
    result.best_epoch = best.epoch
    result.images_per_second = len(train) * len(result.history) / result.train_seconds
    return result
