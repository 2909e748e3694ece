"""A /metrics endpoint counting traffic with the service's own metric names and buckets.

The real prometheus_client exporter, fed with real digits, so the drift readers parse exactly
what a served bento exposes.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from mnist_assets.constants import (
    METRIC_CONFIDENCE,
    METRIC_MEAN_INTENSITY,
    METRIC_MODEL_INFO,
    METRIC_PREDICTIONS,
)
from mnist_assets.deploy.probes import free_port
from mnist_assets.serving.metrics import CONFIDENCE_BUCKETS, MEAN_INTENSITY_BUCKETS


class TrafficExporter:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.predictions = Counter(
            METRIC_PREDICTIONS.removesuffix("_total"), "", ["digit"], registry=self.registry
        )
        self.confidence = Histogram(
            METRIC_CONFIDENCE, "", buckets=CONFIDENCE_BUCKETS, registry=self.registry
        )
        self.mean = Histogram(
            METRIC_MEAN_INTENSITY, "", buckets=MEAN_INTENSITY_BUCKETS, registry=self.registry
        )

    def announce_model(self, version: str = "1") -> None:
        """Export the model gauge every served worker sets at start."""
        info = Gauge(METRIC_MODEL_INFO, "", ["version", "tag"], registry=self.registry)
        info.labels(version=version, tag=f"mnist-cnn:{version}").set(1)

    def observe(self, pixels: np.ndarray, digits: np.ndarray, confidences: np.ndarray) -> None:
        for image, digit, confidence in zip(pixels, digits, confidences, strict=True):
            self.predictions.labels(digit=str(digit)).inc()
            self.confidence.observe(float(confidence))
            self.mean.observe(float(image.mean()))


@contextmanager
def serving_traffic() -> Iterator[tuple[TrafficExporter, str]]:
    """An exporter and the base URL whose ``/metrics`` shows it."""
    exporter, port = TrafficExporter(), free_port()
    server, thread = start_http_server(port, "127.0.0.1", registry=exporter.registry)
    try:
        yield exporter, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()
