"""The service's monitoring endpoints without a model: ``/metrics`` counting traffic with the
service's own metric names and buckets, and ``/inputs/recent`` holding the inputs it saw and
the inputs feedback labelled.

The real prometheus_client exposition, fed with real digits, so the drift readers parse exactly
what a served bento exposes.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

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
        self.kept: list[np.ndarray] = []  # the inputs, as the service's ring keeps them
        self.digits: list[int] = []
        self.confidences: list[float] = []
        self.labelled: dict[str, list] = {"images": [], "labels": [], "digits": []}

    def announce_model(self, version: str = "1") -> None:
        """Export the model gauge every served worker sets at start."""
        info = Gauge(METRIC_MODEL_INFO, "", ["version", "tag"], registry=self.registry)
        info.labels(version=version, tag=f"mnist-cnn:{version}").set(1)

    def observe(self, pixels: np.ndarray, digits: np.ndarray, confidences: np.ndarray) -> None:
        for image, digit, confidence in zip(pixels, digits, confidences, strict=True):
            self.predictions.labels(digit=str(digit)).inc()
            self.confidence.observe(float(confidence))
            self.mean.observe(float(image.mean()))
            self.kept.append(np.rint(image * 255.0).astype(np.uint8))
            self.digits.append(int(digit))
            self.confidences.append(float(confidence))

    def label(self, pixels: np.ndarray, labels: np.ndarray, digits: np.ndarray) -> None:
        """True labels sent back for inputs (``[N, 28, 28]`` bytes) the model called ``digits``."""
        self.labelled["images"] += pixels.tolist()
        self.labelled["labels"] += labels.tolist()
        self.labelled["digits"] += digits.tolist()


class _Endpoints(BaseHTTPRequestHandler):
    exporter: TrafficExporter

    def do_GET(self) -> None:
        if self.path == "/metrics":
            body, kind = generate_latest(self.exporter.registry), CONTENT_TYPE_LATEST
        elif self.path == "/inputs/recent":
            exporter = self.exporter
            recent = {
                "images": [image.tolist() for image in exporter.kept],
                "digits": exporter.digits,
                "confidences": exporter.confidences,
                "workers": 1,
                "labelled": exporter.labelled,
            }
            body, kind = json.dumps(recent).encode(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving_traffic() -> Iterator[tuple[TrafficExporter, str]]:
    """An exporter and the base URL whose ``/metrics`` and ``/inputs/recent`` show it."""
    exporter = TrafficExporter()
    handler = type("Endpoints", (_Endpoints,), {"exporter": exporter})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield exporter, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
