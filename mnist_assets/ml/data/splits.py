"""Train/val/test splits decided by each image's content, so they never move and never leak."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnist_assets.ml.data.dataset import MnistArrays

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class SplitFractions:
    """Shares of the data per split; they must be positive and sum to 1."""

    train: float  # what the model learns from
    val: float  # picks the best epoch and the served variant
    test: float  # held out for the validation report and the gate

    def __post_init__(self) -> None:
        values = self.as_dict()
        if any(value <= 0 for value in values.values()):
            raise ValueError(f"split fractions must be positive, got {values}")
        if abs(sum(values.values()) - 1.0) > 1e-6:
            raise ValueError(f"split fractions must sum to 1, got {sum(values.values()):.4f}")

    def as_dict(self) -> dict[str, float]:
        return {"train": self.train, "val": self.val, "test": self.test}


@dataclass(frozen=True)
class MnistSplits:
    """The three splits of one raw dataset, and the fractions and seed that made them."""

    train: MnistArrays
    val: MnistArrays
    test: MnistArrays
    fractions: SplitFractions
    seed: int

    def items(self) -> list[tuple[str, MnistArrays]]:
        return [(name, getattr(self, name)) for name in SPLIT_NAMES]

    def content_hash(self) -> str:
        """One hash over the three splits' hashes, in split order."""
        joined = ",".join(f"{name}:{part.content_hash()}" for name, part in self.items())
        return hashlib.sha256(joined.encode()).hexdigest()

    def save(self, directory: Path) -> None:
        for name, part in self.items():
            part.save(directory / name)
        recipe = {"fractions": asdict(self.fractions), "seed": self.seed}
        (directory / "splits.json").write_text(json.dumps(recipe, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> MnistSplits:
        recipe = json.loads((directory / "splits.json").read_text())
        train, val, test = (MnistArrays.load(directory / name) for name in SPLIT_NAMES)
        return cls(
            train, val, test, fractions=SplitFractions(**recipe["fractions"]), seed=recipe["seed"]
        )


def image_hashes(images: np.ndarray) -> np.ndarray:
    """A sha1 digest per image, for finding identical images across datasets."""
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    # A fingerprint for finding equal images, not a security measure.
    return np.array(
        [hashlib.sha1(row.tobytes(), usedforsecurity=False).hexdigest() for row in flat]
    )


def split_keys(images: np.ndarray, seed: int) -> np.ndarray:
    """Each image's place in [0, 1): a keyed hash of its pixels alone (``float64 [N]``).

    The key depends on nothing but the image and the seed, so adding images never moves one
    that was already there, and identical pictures always share a split.
    """
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    key = seed.to_bytes(8, "little", signed=True)
    digests = b"".join(
        hashlib.blake2b(row.tobytes(), digest_size=8, key=key).digest() for row in flat
    )
    # 53 bits are what a float64 holds exactly; the shift keeps every key strictly below 1.
    return (np.frombuffer(digests, dtype="<u8") >> np.uint64(11)) / float(2**53)


def content_split(data: MnistArrays, fractions: SplitFractions, seed: int) -> MnistSplits:
    """Place every image by its own content: train below ``train``, then val, then test.

    Shares per class follow the fractions as closely as chance allows (a binomial draw per
    image), and an image's split never depends on which other images exist.
    """
    keys = split_keys(data.images, seed)
    bounds = np.cumsum([fractions.train, fractions.val])
    example_split = np.searchsorted(bounds, keys, side="right")
    train, val, test = (data.subset(np.flatnonzero(example_split == i)) for i in range(3))
    return MnistSplits(train, val, test, fractions=fractions, seed=seed)
