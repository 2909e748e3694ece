import dataclasses

import numpy as np
import pytest

from mnist_assets.ml.data import quality
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits, SplitFractions, content_split


@pytest.fixture
def splits(bundled: MnistArrays) -> MnistSplits:
    return content_split(bundled, SplitFractions(0.8, 0.1, 0.1), seed=0)


def test_every_rule_passes_on_real_data(bundled: MnistArrays, splits: MnistSplits) -> None:
    verdicts = [
        quality.check_image_format(bundled),
        quality.check_labels(bundled),
        quality.check_class_balance(bundled, 0.05),
        quality.check_no_leakage(splits),
        quality.check_split_sizes(splits),
    ]
    assert all(v.passed for v in verdicts), [v.description for v in verdicts]


@pytest.mark.parametrize(
    ("images", "message"),
    [
        # float pixels (e.g. already divided by 255)
        (np.zeros((3, 28, 28), dtype=np.float32), "dtype is float32, expected uint8"),
        # CIFAR-sized images
        (np.zeros((3, 32, 32), dtype=np.uint8), "shape is [3, 32, 32], expected [N, 28, 28]"),
        # flattened rows
        (np.zeros((3, 784), dtype=np.uint8), "shape is [3, 784]"),
        # values outside the byte range in a wider dtype
        (np.full((3, 28, 28), 300, dtype=np.int16), "pixel values span [300, 300]"),
        # nothing at all
        (np.zeros((0, 28, 28), dtype=np.uint8), "the dataset is empty"),
    ],
    ids=["float", "32x32", "flat", "out-of-range", "empty"],
)
def test_image_format_fails(images: np.ndarray, message: str) -> None:
    verdict = quality.check_image_format(MnistArrays(images, np.zeros(len(images), np.uint8)))
    assert not verdict.passed
    assert message in verdict.description


def test_labels_outside_digits_fail(bundled: MnistArrays) -> None:
    labels = bundled.labels.copy()
    labels[:7] = 11
    verdict = quality.check_labels(dataclasses.replace(bundled, labels=labels))
    assert not verdict.passed
    assert verdict.description == "7 labels outside 0-9 (e.g. [11])"


def test_float_labels_fail(bundled: MnistArrays) -> None:
    verdict = quality.check_labels(
        dataclasses.replace(bundled, labels=bundled.labels.astype(float))
    )
    assert not verdict.passed and "expected integers" in verdict.description


def test_rare_class_fails_with_the_shortfall(bundled: MnistArrays) -> None:
    keep = np.concatenate(
        [np.flatnonzero(bundled.labels != 3), np.flatnonzero(bundled.labels == 3)[:50]]
    )
    verdict = quality.check_class_balance(bundled.subset(keep), min_share=0.05)
    assert not verdict.passed
    # 50 of 4,550 examples: 1.10%; 5% of 4,550 is 228, so 178 short.
    assert verdict.description.startswith("digit 3 is 1.10% of the data, below the 5.00% floor")
    assert "short by 178 examples" in verdict.description


def test_leakage_fails_and_counts(splits: MnistSplits) -> None:
    leaked_val = MnistArrays(
        np.concatenate([splits.val.images, splits.train.images[:4]]),
        np.concatenate([splits.val.labels, splits.train.labels[:4]]),
    )
    verdict = quality.check_no_leakage(dataclasses.replace(splits, val=leaked_val))
    assert not verdict.passed
    assert verdict.description == "leakage: 4 images shared by train&val"


def test_split_sizes_fail_when_they_drift_from_the_fractions(splits: MnistSplits) -> None:
    skewed = dataclasses.replace(splits, fractions=SplitFractions(0.6, 0.2, 0.2))
    verdict = quality.check_split_sizes(skewed)
    assert not verdict.passed
    assert "train is 80.32% of the data, configured 60.00%" in verdict.description
