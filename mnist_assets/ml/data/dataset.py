"""The in-memory MNIST dataset and its on-disk form (two ``.npy`` files per dataset)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


@dataclass(frozen=True)
class MnistArrays:
    """Images ``uint8 [N, 28, 28]`` and labels ``uint8 [N]``, one row per example."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        # Only what indexing needs; dtype, shape and range are the asset checks' business, so a
        # broken dataset can still be loaded and reported on.
        if self.images.ndim < 1 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"{self.images.shape[0]} images but labels have shape {list(self.labels.shape)}"
            )

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def content_hash(self) -> str:
        """Sha256 over dtype, shape and bytes of both arrays: the dataset's data version."""
        digest = hashlib.sha256()
        for array in (self.images, self.labels):
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def class_counts(self) -> list[int]:
        """Number of examples of each digit 0-9 (labels outside 0-9 are not counted)."""
        in_range = self.labels[(self.labels >= 0) & (self.labels < NUM_CLASSES)]
        return np.bincount(in_range.astype(np.int64), minlength=NUM_CLASSES).tolist()

    def subset(self, indices: np.ndarray) -> MnistArrays:
        """The examples at ``indices``, in that order."""
        return MnistArrays(self.images[indices], self.labels[indices])

    def save(self, directory: Path) -> None:
        """Write ``images.npy``, ``labels.npy`` and a ``manifest.json``, byte-reproducibly.

        An existing copy with the same content is left untouched, so data is written once.
        """
        manifest = {"count": len(self), "sha256": self.content_hash()}
        manifest_path = directory / "manifest.json"
        if manifest_path.exists() and json.loads(manifest_path.read_text()) == manifest:
            return
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "images.npy", self.images, allow_pickle=False)
        np.save(directory / "labels.npy", self.labels, allow_pickle=False)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> MnistArrays:
        """Read a dataset written by :meth:`save`."""
        if not (directory / "images.npy").exists():
            raise FileNotFoundError(f"no MNIST dataset at {directory} (images.npy is missing)")
        return cls(
            images=np.load(directory / "images.npy", allow_pickle=False),
            labels=np.load(directory / "labels.npy", allow_pickle=False),
        )


def concatenate(parts: list[MnistArrays]) -> MnistArrays:
    """The examples of ``parts``, one after another."""
    return MnistArrays(
        images=np.concatenate([part.images for part in parts]),
        labels=np.concatenate([part.labels for part in parts]),
    )
