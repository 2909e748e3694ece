"""A drift episode's sample: the service's recent inputs saved as PNGs to be labelled.

The sample lands in ``<review folder>/<episode>/unlabelled/`` beside ``episode.json``, which
records the episode (when, its drift score, the live accuracy then) and, for each input, the
model's guess and confidence; inputs whose true digit came back through ``POST /feedback`` are
saved too, with that label proposed. The labelling page (:mod:`mnist_assets.review.app`) reads
the episode from there.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mnist_assets.deploy.review_token import inputs_headers
from mnist_assets.review.episode import EpisodeInput, EpisodeRecord, write_json
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


@dataclass(frozen=True)
class ServiceInputs:
    """What ``GET /inputs/recent`` returned."""

    images: np.ndarray  # uint8 [N, 28, 28], the recent traffic
    digits: np.ndarray
    confidences: np.ndarray
    workers: int
    labelled_images: np.ndarray  # uint8 [M, 28, 28], inputs labelled through feedback
    labels: np.ndarray
    labelled_digits: np.ndarray


def recent_inputs(service_url: str, timeout: float = 30.0) -> ServiceInputs:
    """The service's kept inputs, their predictions, and the inputs feedback labelled."""
    url = f"{service_url.rstrip('/')}/inputs/recent"
    request = urllib.request.Request(url, headers=inputs_headers(settings().run_dir))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
            body: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ReviewUnavailable(f"the service's recent inputs at {url}: {exc}") from exc
    labelled = body["labelled"]
    return ServiceInputs(
        images=np.asarray(body["images"], dtype=np.uint8).reshape(-1, 28, 28),
        digits=np.asarray(body["digits"], dtype=int),
        confidences=np.asarray(body["confidences"], dtype=float),
        workers=int(body["workers"]),
        labelled_images=np.asarray(labelled["images"], dtype=np.uint8).reshape(-1, 28, 28),
        labels=np.asarray(labelled["labels"], dtype=int),
        labelled_digits=np.asarray(labelled["digits"], dtype=int),
    )


def choose_sample(images: np.ndarray, limit: int, exclude: np.ndarray) -> np.ndarray:
    """Indices of up to ``limit`` distinct ``images`` not in ``exclude``, spread evenly."""
    flat = _rows(images)
    taken = {row.tobytes() for row in _rows(exclude)}
    unique = np.sort(np.unique(flat, axis=0, return_index=True)[1])
    chosen = np.array([i for i in unique if flat[i].tobytes() not in taken], dtype=int)
    if len(chosen) > limit:
        chosen = chosen[np.linspace(0, len(chosen) - 1, limit).round().astype(int)]
    return chosen


def save_sample(inputs: ServiceInputs, folder: Path, limit: int, record: EpisodeRecord) -> int:
    """Save the feedback's inputs and ``limit`` of the traffic; how many files were saved.

    The PNGs go under ``folder/unlabelled``, ``record`` with one entry per file beside them as
    ``episode.json``. Each file is written under a hidden name and renamed, so nothing
    half-written is ever seen.
    """
    labelled = np.sort(np.unique(_rows(inputs.labelled_images), axis=0, return_index=True)[1])
    traffic = choose_sample(inputs.images, limit, inputs.labelled_images)
    target = folder / "unlabelled"
    target.mkdir(parents=True, exist_ok=True)
    entries = []
    pictures: list[tuple[np.ndarray, int, float | None, int | None]] = [
        (inputs.labelled_images[i], int(inputs.labelled_digits[i]), None, int(inputs.labels[i]))
        for i in labelled
    ]
    pictures += [
        (inputs.images[i], int(inputs.digits[i]), float(inputs.confidences[i]), None)
        for i in traffic
    ]
    for number, (pixels, guess, confidence, feedback) in enumerate(pictures):
        name = f"{number:04d}.png"
        Image.fromarray(pixels).save(target / f".{name}", format="PNG")
        (target / f".{name}").rename(target / name)
        entries.append(EpisodeInput(name, guess, confidence, feedback))
    write_json(folder / "episode.json", record.with_inputs(entries).to_json())
    return len(pictures)


def save_review_sample(
    service_url: str, folder: Path, limit: int, record: EpisodeRecord
) -> ReviewSample:
    """Fetch the service's recent inputs and save a sample of them for labelling."""
    inputs = recent_inputs(service_url)
    saved = save_sample(inputs, folder, limit, record)
    return ReviewSample(folder=folder, saved=saved, kept=len(inputs.images), workers=inputs.workers)


def _rows(images: np.ndarray) -> np.ndarray:
    """``[N, 28, 28]`` as ``[N, 784]``, an empty N included."""
    return images.reshape(len(images), 28 * 28)
