"""Behavioural tests of a trained model: robustness to tiny shifts, doubt on non-digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mnist_assets.ml.inference.batched import predict_probabilities


@dataclass(frozen=True)
class Behaviour:
    """How the model behaves on inputs that probe it rather than score it."""

    shift_flip_rate: float  # share of predictions that change when the image moves one pixel
    blank_confidence: float  # top probability on an all-black image
    noise_confidence: float  # mean top probability on uniform-noise images


def shift_one_pixel(pixels: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move ``[N, 1, 28, 28]`` images by one pixel, filling the vacated edge with background."""
    shifted = torch.roll(pixels, shifts=(dy, dx), dims=(2, 3))
    if dy:
        shifted[:, :, 0 if dy > 0 else -1, :] = 0
    if dx:
        shifted[:, :, :, 0 if dx > 0 else -1] = 0
    return shifted


def probe_behaviour(model: torch.nn.Module, pixels: torch.Tensor, seed: int = 0) -> Behaviour:
    """Shift flips over the four directions; confidence on a blank and on 100 noise images."""
    base = predict_probabilities(model, pixels).argmax(1)
    flips = [
        (predict_probabilities(model, shift_one_pixel(pixels, dy, dx)).argmax(1) != base).mean()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))
    ]
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(100, 1, 28, 28, generator=generator)
    blank = torch.zeros(1, 1, 28, 28)
    return Behaviour(
        shift_flip_rate=float(np.mean(flips)),
        blank_confidence=float(predict_probabilities(model, blank).max()),
        noise_confidence=float(predict_probabilities(model, noise).max(1).mean()),
    )
