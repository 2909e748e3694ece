import numpy as np
import pytest

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.monitoring.drift import BatchStatistics, drift_score, drift_scores, psi


def _stats(images: np.ndarray) -> BatchStatistics:
    return BatchStatistics.from_images(images.astype(np.float32) / 255.0)


@pytest.fixture
def halves(bundled: MnistArrays) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(0).permutation(len(bundled))
    return bundled.images[order[:2500]], bundled.images[order[2500:]]


def test_psi_of_identical_histograms_is_zero() -> None:
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == pytest.approx(0.0, abs=1e-12)


def test_two_samples_of_the_same_data_barely_drift(halves) -> None:
    first, second = halves
    assert drift_score(_stats(first), _stats(second)) < 0.02


@pytest.mark.parametrize(
    "transform",
    [
        lambda images, rng: 255 - images,  # inverted digits: white background
        lambda images, rng: rng.integers(0, 256, images.shape, dtype=np.uint8),  # uniform noise
    ],
    ids=["inverted", "noise"],
)
def test_clearly_different_images_drift_far(halves, transform) -> None:
    first, second = halves
    changed = transform(second, np.random.default_rng(1))
    assert drift_score(_stats(first), _stats(changed)) > 1.0


def test_scores_cover_the_statistics_both_sides_have(bundled: MnistArrays) -> None:
    pixels = bundled.images.astype(np.float32) / 255.0
    with_classes = BatchStatistics.from_images(pixels, classes=bundled.labels)
    only_images = BatchStatistics.from_images(pixels)
    assert set(drift_scores(with_classes, only_images)) == {
        "pixel_histogram",
        "mean_intensity_histogram",
    }
    ones = BatchStatistics.from_images(pixels[:500], classes=np.ones(500, dtype=np.uint8))
    assert drift_scores(with_classes, ones)["class_distribution"] > 1.0


def test_statistics_round_trip_through_json(tmp_path, bundled: MnistArrays) -> None:
    stats = BatchStatistics.from_images(
        bundled.images[:100] / 255.0, bundled.labels[:100], np.linspace(0, 1, 100)
    )
    stats.save(tmp_path / "ref.json")
    assert BatchStatistics.load(tmp_path / "ref.json") == stats
