"""Drifted traffic saved for labelling: a sample of the service's recent inputs as PNG files.

An episode's sample lands in ``<review folder>/<episode>/unlabelled/``; sorted into folders
named after their digits (``<episode>/7/...``) and stripped of ``unlabelled/``, the episode's
folder is a batch in the incoming layout, ready to drop into ``data/incoming/``.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_assets.deploy.review_token import inputs_headers
from mnist_assets.settings import settings


class ReviewUnavailable(RuntimeError):
    """The service's recent inputs could not be read."""


@dataclass(frozen=True)
class ReviewSample:
    """What one drift episode saved."""

    folder: Path  # the episode's folder; its PNGs are in ``unlabelled/``
    saved: int
    kept: int  # inputs the service held, the sample drawn from them
    workers: int


def recent_inputs(service_url: str, timeout: float = 30.0) -> tuple[np.ndarray, int]:
    """The service's kept inputs (uint8 ``[N, 28, 28]``) and how many workers kept them."""
    url = f"{service_url.rstrip('/')}/inputs/recent"
    request = urllib.request.Request(url, headers=inputs_headers(settings().run_dir))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
            body = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ReviewUnavailable(f"the service's recent inputs at {url}: {exc}") from exc
    images = np.asarray(body["images"], dtype=np.uint8).reshape(-1, 28, 28)
    return images, int(body["workers"])


def save_sample(images: np.ndarray, folder: Path, limit: int) -> int:
    """Save up to ``limit`` of ``images`` as PNGs under ``folder/unlabelled``; how many were.

    Duplicates are dropped and the sample spread evenly over what is left; each file is
    written under a hidden name and renamed, so nothing half-written is ever seen.
    """
    unique = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)[1]
    chosen = np.sort(unique)
    if len(chosen) > limit:
        chosen = chosen[np.linspace(0, len(chosen) - 1, limit).round().astype(int)]
    target = folder / "unlabelled"
    target.mkdir(parents=True, exist_ok=True)
    for number, index in enumerate(chosen):
        hidden = target / f".{number:04d}.png"
        Image.fromarray(images[index]).save(hidden, format="PNG")
        hidden.rename(target / f"{number:04d}.png")
    return len(chosen)


def save_review_sample(service_url: str, folder: Path, limit: int) -> ReviewSample:
    """Fetch the service's recent inputs and save a sample of them for labelling."""
    images, workers = recent_inputs(service_url)
    saved = save_sample(images, folder, limit)
    return ReviewSample(folder=folder, saved=saved, kept=len(images), workers=workers)
