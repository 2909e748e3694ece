"""The incoming folder: each dropped batch is either accepted into the store or quarantined.

Write a batch under a name starting with ``.`` (or ending ``.partial``) and rename it when
complete: such names are never picked up half-written.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.ingestion.batch_store import BatchStore
from mnist_assets.ml.ingestion.batches import BatchError, BatchLimits, check_duplicates, read_batch

REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class Admission:
    """What happened to one dropped batch."""

    name: str
    accepted: bool
    detail: str  # the stored file when accepted, the reason when quarantined
    batch: MnistArrays | None = None  # the newly accepted examples


@dataclass(frozen=True)
class Inbox:
    """The incoming folder, the quarantine beside it, and the store accepted batches join."""

    incoming: Path
    quarantine: Path
    store: BatchStore
    limits: BatchLimits

    def pending(self) -> list[Path]:
        """Batches waiting in the incoming folder, oldest name first."""
        if not self.incoming.is_dir():
            return []
        return sorted(
            p
            for p in self.incoming.iterdir()
            if not p.name.startswith(".") and not p.name.endswith(".partial")
        )

    def admit(self, path: Path, known: set[str]) -> Admission:
        """Validate the batch at ``path``, then file it.

        ``known``: the image hashes of the data (``image_hashes``); an accepted batch's join it.
        """
        try:
            batch = read_batch(path, self.limits)
            stored = self.store.find(batch.content_hash())
            if stored is not None:  # accepted before, the original left behind by a crash
                _remove(path)
                return Admission(path.name, True, stored.name)
            hashes = check_duplicates(batch, known)
        except BatchError as exc:
            return self._reject(path, str(exc))
        except Exception as exc:  # whatever else breaks reading one entry refuses it alone
            reason = f"{path.name} could not be read: {type(exc).__name__}: {exc}"
            return self._reject(path, reason)
        stored = self.store.add(batch)
        known.update(hashes)
        _remove(path)
        return Admission(path.name, True, stored.name, batch)

    def _reject(self, path: Path, reason: str) -> Admission:
        """Move ``path`` itself (a link, not what it points to) beside a note of ``reason``."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{path.name}"
        try:
            # A rename, never a copy: copying would open a FIFO (and wait) or follow a link.
            os.rename(path, target)
        except OSError as exc:
            return Admission(path.name, False, f"{reason}; left in place: {exc}")
        target.with_name(target.name + REASON_SUFFIX).write_text(reason + "\n")
        return Admission(path.name, False, reason)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
