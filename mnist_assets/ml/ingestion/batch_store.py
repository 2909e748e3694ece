"""Accepted batches, kept write-once: raw data grows by appending a batch, never by editing one.

Each accepted batch is one ``<sequence>-<sha256>.npz`` file; the sequence fixes the order in
which batches join the data, the hash names their content.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_assets.ml.data.dataset import MnistArrays, concatenate
from mnist_assets.ml.data.sources import MnistSource


def save_batch(batch: MnistArrays, target: Path) -> None:
    """Write ``batch`` as the ``.npz`` file ``target``, whole or not at all.

    Written under a hidden ``.partial`` name (which the incoming folder never picks up) and
    renamed once on disk; a failure (a full disk, say) leaves no half-written file behind.
    """
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as handle:
            np.savez(handle, images=batch.images, labels=batch.labels)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)  # atomic: a crash leaves the batch either whole or absent


@dataclass(frozen=True)
class BatchStore:
    """The folder of accepted batches."""

    directory: Path

    def batches(self) -> list[Path]:
        """Every accepted batch, in the order it was accepted."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("[0-9]*-*.npz"))

    def find(self, digest: str) -> Path | None:
        """The accepted batch with content hash ``digest``, if there is one."""
        return next((p for p in self.batches() if p.stem.split("-", 1)[1] == digest), None)

    def add(self, batch: MnistArrays) -> Path:
        """Append ``batch`` (a batch already held is not added twice); returns its file."""
        digest = batch.content_hash()
        existing = self.find(digest)
        if existing is not None:
            return existing
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{len(self.batches()) + 1:05d}-{digest}.npz"
        save_batch(batch, target)
        return target

    def load(self, path: Path) -> MnistArrays:
        with np.load(path, allow_pickle=False) as archive:
            return MnistArrays(archive["images"], archive["labels"])


@dataclass(frozen=True)
class WithAcceptedBatches:
    """A source followed by every batch accepted into ``store``, in acceptance order."""

    base: MnistSource
    store: BatchStore

    def describe(self) -> str:
        count = len(self.store.batches())
        return self.base.describe() + (f" + {count} accepted batches" if count else "")

    def load(self) -> MnistArrays:
        return concatenate([self.base.load(), *map(self.store.load, self.store.batches())])
