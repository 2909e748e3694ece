"""Prometheus metrics of the service beyond BentoML's own (all named ``mnist_*``)."""

from collections import Counter

import bentoml
import numpy as np

from mnist_assets.constants import (
    METRIC_CONFIDENCE,
    METRIC_LIVE_ACCURACY,
    METRIC_LIVE_LABELS,
    METRIC_MEAN_INTENSITY,
    METRIC_MODEL_INFO,
    METRIC_PREDICTIONS,
    METRIC_TEST_ACCURACY,
)
from mnist_assets.ml.data.dataset import NUM_CLASSES
from mnist_assets.ml.monitoring.drift import CONFIDENCE_BINS, MEAN_BINS, MEAN_RANGE, upper_edges
from mnist_assets.serving.feedback import Outcome
from mnist_assets.serving.schemas import ModelInfo, Prediction

# Every drift bin's edge is a bucket bound, so Prometheus' counts re-bin exactly (plus finer
# steps where a good model's confidences sit).
CONFIDENCE_BUCKETS = (*upper_edges(CONFIDENCE_BINS, (0.0, 1.0)), 0.95, 0.99, 1.0)
MEAN_INTENSITY_BUCKETS = (*upper_edges(MEAN_BINS, MEAN_RANGE), MEAN_RANGE[1])

PREDICTIONS = bentoml.metrics.Counter(
    name=METRIC_PREDICTIONS, documentation="Predictions by digit", labelnames=["digit"]
)
CONFIDENCE = bentoml.metrics.Histogram(
    name=METRIC_CONFIDENCE,
    documentation="Top softmax probability of each prediction",
    buckets=CONFIDENCE_BUCKETS,
)
BELOW_THRESHOLD = bentoml.metrics.Counter(
    name="mnist_below_threshold_total",
    documentation="Predictions whose confidence fell below the request's threshold",
)
MEAN_INTENSITY = bentoml.metrics.Histogram(
    name=METRIC_MEAN_INTENSITY,
    documentation="Mean pixel value of each input image (the live side of drift)",
    buckets=MEAN_INTENSITY_BUCKETS,
)
MODEL_INFO = bentoml.metrics.Gauge(
    name=METRIC_MODEL_INFO,
    documentation="The model serving (value 1), by registry version and bento model tag",
    labelnames=["version", "tag"],
    # One series per model across worker processes, not one per process id.
    multiprocess_mode="livemostrecent",
)
DRIFT_SCORE = bentoml.metrics.Gauge(
    name="mnist_drift_score",
    documentation="PSI of the last inputs and predictions against the model's drift reference",
    # One series per worker (each scores the traffic it served); NaN until a worker has seen a
    # window. PromQL's max() skips NaN, so max(mnist_drift_score) is the worst scored window.
    multiprocess_mode="liveall",
)
FEEDBACK = bentoml.metrics.Counter(
    name="mnist_feedback_total",
    documentation="True labels sent back with POST /feedback, by whether the prediction was right",
    labelnames=["outcome"],
)
# Live accuracy is computed by the worker that took the last label, from the log every worker
# shares: the most recent value of any live worker is the server's.
LIVE_ACCURACY = bentoml.metrics.Gauge(
    name=METRIC_LIVE_ACCURACY,
    documentation="Share right of the last labelled predictions (monitoring.yaml, feedback)",
    multiprocess_mode="livemostrecent",
)
LIVE_LABELS = bentoml.metrics.Gauge(
    name=METRIC_LIVE_LABELS,
    documentation="How many labelled predictions live accuracy is over",
    multiprocess_mode="livemostrecent",
)
TEST_ACCURACY = bentoml.metrics.Gauge(
    name=METRIC_TEST_ACCURACY,
    documentation="Test accuracy of the model serving, the figure it was promoted on",
    multiprocess_mode="livemostrecent",
)
# Request latency buckets for BentoML's own histogram: a forward pass takes well under 1 ms.
LATENCY_BUCKETS = (
    0.0002,
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    10.0,
)


def announce(info: ModelInfo) -> None:
    """Export the model serving and its test accuracy, and declare every labelled series."""
    MODEL_INFO.labels(version=info.model_version, tag=info.bento_model).set(1)
    TEST_ACCURACY.set(info.test_accuracy)
    declare_series()


def declare_series() -> None:
    """Every digit's prediction series and both feedback outcomes, at 0, before any request.

    Prometheus' ``increase()`` counts a series from its first scraped sample: a digit whose
    series first appeared with traffic already in it would lose that traffic from the window
    (and the live drift sensor would see a class mix that never happened).
    """
    for digit in range(NUM_CLASSES):
        PREDICTIONS.labels(digit=str(digit))
    for outcome in ("correct", "wrong"):
        FEEDBACK.labels(outcome=outcome)


def observe_feedback(outcome: Outcome) -> None:
    """Count one label and publish the live accuracy it leaves."""
    FEEDBACK.labels(outcome="correct" if outcome.correct else "wrong").inc()
    LIVE_ACCURACY.set(outcome.accuracy)
    LIVE_LABELS.set(outcome.labelled)


def observe(pixels: np.ndarray, predictions: list[Prediction]) -> None:
    """Record a batch of inputs ``[N, 28, 28]`` and their predictions.

    Counters move once per distinct value, not once per image: each update of a multiprocess
    metric writes to a shared file.
    """
    for digit, count in Counter(p.digit for p in predictions).items():
        PREDICTIONS.labels(digit=str(digit)).inc(count)
    if below := sum(p.below_threshold for p in predictions):
        BELOW_THRESHOLD.inc(below)
    for prediction, mean in zip(predictions, pixels.mean(axis=(1, 2)).tolist(), strict=True):
        CONFIDENCE.observe(prediction.confidence)
        MEAN_INTENSITY.observe(mean)
