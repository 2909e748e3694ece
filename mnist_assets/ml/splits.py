"""Deterministic, stratified train/val/test splitting that never lets an image leak."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnist_assets.ml.dataset import MnistArrays

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


def stratified_split(data: MnistArrays, fractions: SplitFractions, seed: int) -> MnistSplits:
    """Split each class by ``fractions`` after a seeded shuffle.

    Identical images are kept together (grouped by pixel hash and assigned as one), so the
    same picture can never sit in two splits even when the source holds duplicates.
    """
    hashes = image_hashes(data.images)
    _, first_index, group_of = np.unique(hashes, return_index=True, return_inverse=True)
    rng = np.random.default_rng(seed)
    group_split = np.empty(len(first_index), dtype=np.int64)
    cumulative = np.cumsum([fractions.train, fractions.val])
    for label in np.unique(data.labels):
        groups = np.flatnonzero(data.labels[first_index] == label)
        groups = groups[rng.permutation(len(groups))]
        bounds = np.round(cumulative * len(groups)).astype(int)
        for split_id, part in enumerate(np.split(groups, bounds)):
            group_split[part] = split_id
    example_split = group_split[group_of]
    train, val, test = (data.subset(np.flatnonzero(example_split == i)) for i in range(3))
    return MnistSplits(train, val, test, fractions=fractions, seed=seed)
