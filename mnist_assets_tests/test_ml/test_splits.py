from pathlib import Path

import numpy as np
import pytest

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits, SplitFractions, content_split, image_hashes

FRACTIONS = SplitFractions(0.8, 0.1, 0.1)


def _split_of(splits: MnistSplits) -> dict[str, str]:
    return {h: name for name, part in splits.items() for h in image_hashes(part.images)}


def test_split_shares_are_within_a_point_of_the_fractions(bundled: MnistArrays) -> None:
    splits = content_split(bundled, FRACTIONS, seed=42)
    assert sum(len(part) for _, part in splits.items()) == len(bundled)
    for name, part in splits.items():
        assert abs(len(part) / len(bundled) - FRACTIONS.as_dict()[name]) <= 0.01, name


def test_class_shares_at_full_mnist_size_are_within_a_point() -> None:
    # 70,000 distinct images, 7,000 a digit, as torchvision's full set has: every digit's share
    # of every split stays within one point of the fraction (binomial sd 0.36 pp for test).
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(70_000, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(10), 7_000)
    splits = content_split(MnistArrays(images, labels), FRACTIONS, seed=42)
    for name, part in splits.items():
        shares = np.array(part.class_counts()) / 7_000
        assert np.abs(shares - FRACTIONS.as_dict()[name]).max() <= 0.01, name


def test_growing_the_data_never_moves_an_image(bundled: MnistArrays) -> None:
    # The first 4,900 digits, then all 5,000: the 100 new ones must not move any of the others.
    before = _split_of(content_split(bundled.subset(np.arange(4900)), FRACTIONS, seed=42))
    after = _split_of(content_split(bundled, FRACTIONS, seed=42))
    moved = [h for h, name in before.items() if after[h] != name]
    assert len(before) == 4900 and len(after) == 5000
    assert moved == []


def test_same_seed_same_split_other_seed_other_split(bundled: MnistArrays) -> None:
    first = content_split(bundled, FRACTIONS, seed=1)
    assert content_split(bundled, FRACTIONS, seed=1).content_hash() == first.content_hash()
    assert content_split(bundled, FRACTIONS, seed=2).content_hash() != first.content_hash()


def test_duplicates_never_straddle_splits(bundled: MnistArrays) -> None:
    # Copy 300 images so that every one exists twice in the raw data.
    doubled = MnistArrays(
        np.concatenate([bundled.images, bundled.images[:300]]),
        np.concatenate([bundled.labels, bundled.labels[:300]]),
    )
    splits = content_split(doubled, FRACTIONS, seed=3)
    sets = [set(image_hashes(part.images)) for _, part in splits.items()]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert sum(len(part) for _, part in splits.items()) == len(doubled)


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.8, 0.2, 0.0), "must be positive"),  # an empty test split
        ((0.7, 0.1, 0.1), "must sum to 1, got 0.9000"),
    ],
)
def test_bad_fractions_are_refused(fractions: tuple[float, float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SplitFractions(*fractions)


def test_save_load_round_trip_is_byte_stable(tmp_path: Path, bundled: MnistArrays) -> None:
    splits = content_split(bundled, FRACTIONS, seed=1)
    splits.save(tmp_path / "a")
    loaded = MnistSplits.load(tmp_path / "a")
    assert loaded.content_hash() == splits.content_hash()
    assert (loaded.fractions, loaded.seed) == (FRACTIONS, 1)
    loaded.save(tmp_path / "b")
    for name in ("train/images.npy", "test/labels.npy", "splits.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_unchanged_data_is_not_rewritten(tmp_path: Path, bundled: MnistArrays) -> None:
    bundled.save(tmp_path)
    before = (tmp_path / "images.npy").stat().st_mtime_ns
    bundled.save(tmp_path)
    assert (tmp_path / "images.npy").stat().st_mtime_ns == before


def test_loading_a_missing_dataset_says_where(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"no MNIST dataset at {tmp_path}"):
        MnistArrays.load(tmp_path)
