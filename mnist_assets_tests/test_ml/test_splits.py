from pathlib import Path

import numpy as np
import pytest

from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.splits import MnistSplits, SplitFractions, image_hashes, stratified_split

FRACTIONS = SplitFractions(0.8, 0.1, 0.1)


def test_split_is_stratified_and_sized(bundled: MnistArrays) -> None:
    splits = stratified_split(bundled, FRACTIONS, seed=1)
    assert [len(part) for _, part in splits.items()] == [4000, 500, 500]
    assert splits.train.class_counts() == [400] * 10
    assert splits.val.class_counts() == splits.test.class_counts() == [50] * 10


def test_same_seed_same_split_other_seed_other_split(bundled: MnistArrays) -> None:
    first = stratified_split(bundled, FRACTIONS, seed=1)
    assert stratified_split(bundled, FRACTIONS, seed=1).content_hash() == first.content_hash()
    assert stratified_split(bundled, FRACTIONS, seed=2).content_hash() != first.content_hash()


def test_duplicates_never_straddle_splits(bundled: MnistArrays) -> None:
    # Copy 300 images so that every one exists twice in the raw data.
    doubled = MnistArrays(
        np.concatenate([bundled.images, bundled.images[:300]]),
        np.concatenate([bundled.labels, bundled.labels[:300]]),
    )
    splits = stratified_split(doubled, FRACTIONS, seed=3)
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
    splits = stratified_split(bundled, FRACTIONS, seed=1)
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
