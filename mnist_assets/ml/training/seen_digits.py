"""The digits a model learnt from or chose its epoch on, by content hash, kept with the model.

The promotion gate compares two models only on test digits that neither of them has seen; a
model's record of what it saw is what makes that possible after the data has changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_assets.ml.data.splits import MnistSplits, image_hashes

SEEN_FILE = "seen_digits.npy"


def seen_hashes(splits: MnistSplits) -> frozenset[str]:
    """The pixel hashes of the train and validation splits: what a model trained on them saw."""
    return frozenset(image_hashes(splits.train.images)) | frozenset(image_hashes(splits.val.images))


def save_seen(path: Path, hashes: frozenset[str]) -> None:
    """Write ``hashes`` as rows of 20 bytes, sorted, so one set always gives the same file."""
    digests = b"".join(sorted(bytes.fromhex(h) for h in hashes))
    np.save(path, np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20), allow_pickle=False)


def load_seen(path: Path) -> frozenset[str]:
    """The hashes ``save_seen`` wrote, as hex strings like ``image_hashes`` gives."""
    return frozenset(row.tobytes().hex() for row in np.load(path, allow_pickle=False))


def unseen_mask(images: np.ndarray, *seen: frozenset[str]) -> np.ndarray:
    """For each image, whether no set in ``seen`` holds its hash (``bool [N]``)."""
    known = frozenset().union(*seen)
    return np.array([h not in known for h in image_hashes(images)], dtype=bool)
