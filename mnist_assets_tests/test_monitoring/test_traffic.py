import math

import numpy as np
import pytest

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.monitoring.drift import BatchStatistics, drift_score
from mnist_assets.monitoring.traffic import TrafficCounts, TrafficUnavailable, from_service
from mnist_assets_tests.traffic_exporter import serving_traffic

RNG = np.random.default_rng(0)


def _digits(splits: MnistSplits, count: int):
    pixels = splits.test.images[:count].astype(np.float32) / 255.0
    return pixels, splits.test.labels[:count], RNG.beta(8, 1, count)


def test_the_services_counters_rebin_into_the_drift_statistics(splits: MnistSplits) -> None:
    pixels, digits, confidences = _digits(splits, 400)
    with serving_traffic() as (exporter, url):
        exporter.observe(pixels, digits, confidences)
        counts = from_service(url)
    assert counts.images == 400
    live = counts.statistics()
    direct = BatchStatistics.from_images(pixels, digits, confidences)
    assert live.class_distribution == pytest.approx(direct.class_distribution)
    # Prometheus buckets are (a, b], numpy bins [a, b): only values on an edge can differ.
    assert live.mean_intensity_histogram == pytest.approx(direct.mean_intensity_histogram, abs=0.01)
    assert live.confidence_histogram == pytest.approx(direct.confidence_histogram, abs=0.01)
    assert live.pixel_histogram is None
    assert drift_score(direct, live) < 0.01


def test_a_window_is_what_came_after_the_last_reading(splits: MnistSplits) -> None:
    pixels, digits, confidences = _digits(splits, 300)
    with serving_traffic() as (exporter, url):
        exporter.observe(pixels[:100], digits[:100], confidences[:100])
        first = from_service(url)
        exporter.observe(pixels[100:], digits[100:], confidences[100:])
        total = from_service(url)
    window = total.since(TrafficCounts.from_json(first.to_json()))
    assert window.images == 200
    assert sum(window.digits.values()) == 200
    assert window.mean_intensity[math.inf] == 200
    # A restart (counters lower than last time) makes the whole reading the window.
    assert first.since(total).images == 100


def test_an_unreachable_service_says_where_it_looked() -> None:
    with pytest.raises(TrafficUnavailable, match=r"127\.0\.0\.1:9 are unreachable"):
        from_service("http://127.0.0.1:9")
