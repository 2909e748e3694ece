"""Prometheus metrics of the service beyond BentoML's own (all named ``mnist_*``)."""

import bentoml
import numpy as np

from mnist_assets.serving.schemas import Prediction

PREDICTIONS = bentoml.metrics.Counter(
    name="mnist_predictions_total", documentation="Predictions by digit", labelnames=["digit"]
)
CONFIDENCE = bentoml.metrics.Histogram(
    name="mnist_prediction_confidence",
    documentation="Top softmax probability of each prediction",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)
BELOW_THRESHOLD = bentoml.metrics.Counter(
    name="mnist_below_threshold_total",
    documentation="Predictions whose confidence fell below the request's threshold",
)
MEAN_INTENSITY = bentoml.metrics.Histogram(
    name="mnist_input_mean_intensity",
    documentation="Mean pixel value of each input image (the live side of drift)",
    buckets=tuple(np.round(np.linspace(0.025, 0.5, 20), 3)),
)
MODEL_INFO = bentoml.metrics.Gauge(
    name="mnist_model_info",
    documentation="The model serving (value 1), by registry version and bento model tag",
    labelnames=["version", "tag"],
    # One series per model across worker processes, not one per process id.
    multiprocess_mode="livemostrecent",
)
DRIFT_SCORE = bentoml.metrics.Gauge(
    name="mnist_drift_score",
    documentation="PSI of the last inputs and predictions against the model's drift reference",
    multiprocess_mode="livemax",
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


def observe(pixels: np.ndarray, predictions: list[Prediction]) -> None:
    """Record a batch of inputs ``[N, 28, 28]`` and their predictions."""
    for image, prediction in zip(pixels, predictions, strict=True):
        PREDICTIONS.labels(digit=str(prediction.digit)).inc()
        CONFIDENCE.observe(prediction.confidence)
        MEAN_INTENSITY.observe(float(image.mean()))
        if prediction.below_threshold:
            BELOW_THRESHOLD.inc()
