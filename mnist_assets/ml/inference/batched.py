"""Inference: logits and probabilities batch by batch, and per-image latency."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np
import torch

from mnist_assets.ml.training.runtime import Runtime


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module,
    pixels: torch.Tensor,
    runtime: Runtime | None = None,
    batch_size: int = 1024,
) -> torch.Tensor:
    """Logits ``float32 [N, classes]`` in eval mode, batch by batch (autocast per ``runtime``)."""
    model.eval()
    with runtime.autocast() if runtime else contextlib.nullcontext():
        return torch.cat([model(chunk).float() for chunk in pixels.split(batch_size)])


def predict_probabilities(model: torch.nn.Module, pixels: torch.Tensor) -> np.ndarray:
    """Softmax probabilities ``[N, classes]`` for ``float [N, 1, 28, 28]`` pixels in [0, 1]."""
    return torch.softmax(predict_logits(model, pixels), dim=1).numpy()


@dataclass(frozen=True)
class Latency:
    """Batch-1 inference time per image on this machine, in milliseconds."""

    mean_ms: float
    p95_ms: float
    samples: int


@torch.no_grad()
def measure_latency(model: torch.nn.Module, pixels: torch.Tensor, samples: int = 200) -> Latency:
    """Time ``samples`` single-image forward passes (after a short warm-up)."""
    model.eval()
    images = pixels[:samples]
    for image in images[:10]:
        model(image.unsqueeze(0))
    timings = []
    for image in images:
        start = time.perf_counter()
        model(image.unsqueeze(0))
        timings.append((time.perf_counter() - start) * 1000)
    return Latency(float(np.mean(timings)), float(np.percentile(timings, 95)), len(timings))
