"""One optimisation step: augment, add noise images, forward, backward, update the weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mnist_assets.ml.training.augment import random_affine
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.cuda_graph import CapturedStep
from mnist_assets.ml.training.runtime import Runtime


def _noise_images(like: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Uniform noise of random brightness (from near-blank to full), ``fraction`` of a batch."""
    count = max(1, round(len(like) * fraction))
    shape = (count, *like.shape[1:])
    brightness = torch.rand(count, 1, 1, 1, generator=generator, device=like.device)
    noise = torch.rand(shape, generator=generator, device=like.device) * brightness
    return (
        noise.contiguous(memory_format=torch.channels_last)
        if like.is_contiguous(memory_format=torch.channels_last)
        else noise
    )


def training_loss(
    model: nn.Module,
    pixels: torch.Tensor,
    labels: torch.Tensor,
    config: TrainConfig,
    runtime: Runtime,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss of one batch and the logits of its digits (``[B, classes]``).

    Label-smoothed cross-entropy on the digits; with outlier exposure, noise images are added
    to the batch and pulled towards the uniform distribution (no digit is in noise).
    """
    digits = len(labels)
    if config.outlier_exposure:
        pixels = torch.cat([pixels, _noise_images(pixels, config.outlier_exposure, generator)])
    with runtime.autocast():
        all_logits = model(pixels).float()
    logits = all_logits[:digits]
    loss = F.cross_entropy(logits, labels, label_smoothing=config.label_smoothing)
    if config.outlier_exposure:
        loss = loss - 0.5 * F.log_softmax(all_logits[digits:], dim=1).mean()
    return loss, logits


class TrainStep:
    """Trains ``model`` on one batch per call; returns the batch's (loss, logits), detached.

    On CUDA with ``config.cuda_graphs``, the first full batch captures everything up to the
    backward pass as a CUDA graph that every later full batch replays (mnist_assets.ml.
    cuda_graph); a short last batch runs eagerly. fp16 needs loss scaling, which stays eager.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        config: TrainConfig,
        runtime: Runtime,
        generator: torch.Generator,
    ) -> None:
        self.model, self.optimizer, self.config = model, optimizer, config
        self.runtime, self.generator = runtime, generator
        self.scaler = runtime.grad_scaler()
        self.graphable = (
            config.cuda_graphs and runtime.device.type == "cuda" and not self.scaler.is_enabled()
        )
        self.captured: CapturedStep | None = None

    def forward_backward(
        self, pixels: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        config = self.config
        if config.augment:
            pixels = random_affine(
                pixels, self.generator, config.max_shift_pixels, config.max_rotation_degrees
            )
        loss, logits = training_loss(
            self.model, pixels, labels, config, self.runtime, self.generator
        )
        self.scaler.scale(loss).backward()
        return loss.detach(), logits.detach()

    def __call__(
        self, pixels: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.graphable and len(labels) == self.config.batch_size:
            if self.captured is None:
                self.captured = CapturedStep(
                    self.model, self.forward_backward, pixels, labels, self.generator
                )
            loss, logits = self.captured(pixels, labels)
        else:
            # A graph owns the gradients' memory: zero them in place rather than drop them.
            self.optimizer.zero_grad(set_to_none=self.captured is None)
            loss, logits = self.forward_backward(pixels, labels)
            if self.captured is not None:
                self.captured.keep_gradients()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss, logits
