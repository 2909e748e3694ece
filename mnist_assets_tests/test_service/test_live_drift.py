import numpy as np
import pytest

from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets.serving.live_drift import LiveDrift


@pytest.fixture(scope="module")
def digits(splits) -> tuple[np.ndarray, np.ndarray]:
    """1,100 training digits in random order, scaled to [0, 1]: 500 for the reference."""
    pick = np.random.default_rng(0).permutation(len(splits.train.labels))[:1100]
    return splits.train.images[pick].astype(np.float32) / 255.0, splits.train.labels[pick]


def _window(digits, size: int = 256, every: int = 64) -> LiveDrift:
    pixels, labels = digits
    reference = BatchStatistics.from_images(pixels[:500], labels[:500], np.full(500, 0.99))
    return LiveDrift(reference, window=size, every=every)


def test_no_score_until_the_window_is_full(digits) -> None:
    pixels, labels = digits
    drift = _window(digits)
    assert drift.update(pixels[500:700], labels[500:700], np.full(200, 0.99)) is None
    assert drift.update(pixels[700:764], labels[700:764], np.full(64, 0.99)) is not None


def test_ordinary_digits_score_low_and_inverted_ones_high(digits) -> None:
    pixels, labels = digits
    ordinary, inverted = _window(digits), _window(digits)
    calm = ordinary.update(pixels[500:756], labels[500:756], np.full(256, 0.99))
    shifted = inverted.update(1.0 - pixels[500:756], labels[500:756], np.full(256, 0.99))
    assert calm is not None and calm < 0.1
    assert shifted is not None and shifted > 1.0


def test_the_window_keeps_only_the_latest_inputs(digits) -> None:
    pixels, labels = digits
    drift = _window(digits)
    drift.update(1.0 - pixels[500:756], labels[500:756], np.full(256, 0.99))
    # A batch larger than the window replaces all of it: the inverted images are gone.
    score = drift.update(pixels[:600], labels[:600], np.full(600, 0.99))
    assert score is not None and score < 0.1
    assert drift.seen == 856
