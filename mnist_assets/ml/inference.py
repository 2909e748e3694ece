"""Inference on the CPU: probabilities for a batch, and per-image latency."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch


@torch.no_grad()
def predict_probabilities(
    model: torch.nn.Module, pixels: torch.Tensor, batch_size: int = 1024
) -> np.ndarray:
    """Softmax probabilities ``[N, classes]`` for ``float [N, 1, 28, 28]`` pixels in [0, 1]."""
    model.eval()
    chunks = [torch.softmax(model(chunk), dim=1) for chunk in pixels.split(batch_size)]
    return torch.cat(chunks).numpy()


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
