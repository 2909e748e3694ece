"""Batched, on-device augmentation: small random rotations and shifts of whole batches."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(
    pixels: torch.Tensor, generator: torch.Generator, max_shift: float, max_degrees: float
) -> torch.Tensor:
    """Rotate each image by up to ``max_degrees`` and shift it by up to ``max_shift`` pixels.

    ``pixels``: ``float [B, 1, H, W]`` in [0, 1]; areas moved in from outside are background (0).
    One ``grid_sample`` call for the whole batch, so it costs far less than the conv layers.
    """
    batch, _, height, width = pixels.shape
    device = pixels.device

    def uniform(scale: float) -> torch.Tensor:
        draws = torch.rand(batch, generator=generator, device=device, dtype=torch.float32)
        return (draws * 2 - 1) * scale

    angle = uniform(math.radians(max_degrees))
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / size.
    shift_x, shift_y = uniform(2 * max_shift / width), uniform(2 * max_shift / height)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([cos, -sin, shift_x], dim=1), torch.stack([sin, cos, shift_y], dim=1)], dim=1
    )  # [B, 2, 3]
    grid = F.affine_grid(theta.to(pixels.dtype), list(pixels.shape), align_corners=False)
    return F.grid_sample(pixels, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
