"""Live traffic as drift statistics, from the service's histograms in Prometheus or /metrics."""

from __future__ import annotations

import math
import urllib.request
from dataclasses import dataclass
from typing import Any

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from mnist_assets.constants import (
    METRIC_CONFIDENCE,
    METRIC_MEAN_INTENSITY,
    METRIC_MODEL_INFO,
    METRIC_PREDICTIONS,
)
from mnist_assets.ml.data.dataset import NUM_CLASSES
from mnist_assets.ml.monitoring.drift import (
    CONFIDENCE_BINS,
    MEAN_BINS,
    MEAN_RANGE,
    BatchStatistics,
    upper_edges,
)
from mnist_assets.monitoring.prometheus import JOB, PrometheusApi


class TrafficUnavailable(RuntimeError):
    """The service's statistics could not be read."""


@dataclass(frozen=True)
class TrafficCounts:
    """Counts of the service's histograms: cumulative per bucket bound (``le``), and per digit."""

    mean_intensity: dict[float, float]
    confidence: dict[float, float]
    digits: dict[int, float]

    @property
    def images(self) -> int:
        return round(self.mean_intensity.get(math.inf, 0.0))

    def since(self, earlier: TrafficCounts | None) -> TrafficCounts:
        """The traffic that came after ``earlier`` (all of it if the service restarted since)."""
        if earlier is None or earlier.images > self.images:
            return self

        def minus(now: dict[Any, float], then: dict[Any, float]) -> dict[Any, float]:
            return {key: value - then.get(key, 0.0) for key, value in now.items()}

        return TrafficCounts(
            minus(self.mean_intensity, earlier.mean_intensity),
            minus(self.confidence, earlier.confidence),
            minus(self.digits, earlier.digits),
        )

    def statistics(self) -> BatchStatistics:
        """The same histograms as a drift reference holds (no pixel histogram: not exported)."""
        digits = np.array([self.digits.get(d, 0.0) for d in range(NUM_CLASSES)])
        return BatchStatistics(
            count=self.images,
            pixel_histogram=None,
            mean_intensity_histogram=_shares(self.mean_intensity, MEAN_BINS, MEAN_RANGE),
            class_distribution=(digits / max(digits.sum(), 1.0)).tolist(),
            confidence_histogram=_shares(self.confidence, CONFIDENCE_BINS, (0.0, 1.0)),
        )

    def to_json(self) -> dict[str, dict[str, float]]:
        return {
            "mean_intensity": {repr(k): v for k, v in self.mean_intensity.items()},
            "confidence": {repr(k): v for k, v in self.confidence.items()},
            "digits": {str(k): v for k, v in self.digits.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, dict[str, float]]) -> TrafficCounts:
        return cls(
            {float(k): v for k, v in data["mean_intensity"].items()},
            {float(k): v for k, v in data["confidence"].items()},
            {int(k): v for k, v in data["digits"].items()},
        )


def _shares(cumulative: dict[float, float], bins: int, value_range: tuple[float, float]) -> list:
    """Per-bin shares of a cumulative histogram, re-binned onto the drift statistic's bins."""
    bounds = sorted(cumulative)
    totals = []
    for edge in upper_edges(bins, value_range):
        bound = next((b for b in bounds if math.isclose(b, edge, abs_tol=1e-9)), None)
        if bound is None:
            raise TrafficUnavailable(f"the service's histogram has no bucket at {edge}")
        totals.append(cumulative[bound])
    totals.append(cumulative.get(math.inf, 0.0))  # the last bin takes everything above
    counts = np.diff(np.array([0.0, *totals])).clip(min=0.0)
    return (counts / max(counts.sum(), 1.0)).tolist()


def from_prometheus(api: PrometheusApi, window_minutes: int) -> TrafficCounts:
    """The service's traffic over the last ``window_minutes``, as Prometheus recorded it.

    TrafficUnavailable ("no fresh data") when the service is scraped but exports none of its
    own series now: whatever Prometheus still holds from before is stale.
    """
    up = api.query(f'up{{job="{JOB}"}} == 1')
    if up and not api.query(f'{METRIC_MODEL_INFO}{{job="{JOB}"}}'):
        raise TrafficUnavailable(
            "no fresh data: the service answers scrapes but exports no mnist_* series"
        )

    def increase(metric: str, label: str) -> dict[str, float]:
        expr = f'sum by ({label}) (increase({metric}{{job="{JOB}"}}[{window_minutes}m]))'
        return {s["metric"].get(label, ""): float(s["value"][1]) for s in api.query(expr)}

    return TrafficCounts(
        mean_intensity=_bounds(increase(f"{METRIC_MEAN_INTENSITY}_bucket", "le")),
        confidence=_bounds(increase(f"{METRIC_CONFIDENCE}_bucket", "le")),
        digits={int(k): v for k, v in increase(METRIC_PREDICTIONS, "digit").items() if k},
    )


def from_service(url: str, timeout: float = 5.0) -> TrafficCounts:
    """Everything the service counted since it started, read from its ``/metrics``."""
    try:
        metrics_url = f"{url.rstrip('/')}/metrics"
        with urllib.request.urlopen(metrics_url, timeout=timeout) as response:  # nosec B310
            text = response.read().decode()
    except OSError as exc:
        raise TrafficUnavailable(f"the service's metrics at {url} are unreachable: {exc}") from exc
    sums: dict[str, dict[str, float]] = {"mean": {}, "confidence": {}, "digits": {}}
    wanted = {
        f"{METRIC_MEAN_INTENSITY}_bucket": ("mean", "le"),
        f"{METRIC_CONFIDENCE}_bucket": ("confidence", "le"),
        METRIC_PREDICTIONS: ("digits", "digit"),
    }
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in wanted:
                kind, label = wanted[sample.name]
                key = sample.labels.get(label, "")
                sums[kind][key] = sums[kind].get(key, 0.0) + sample.value
    return TrafficCounts(
        mean_intensity=_bounds(sums["mean"]),
        confidence=_bounds(sums["confidence"]),
        digits={int(k): v for k, v in sums["digits"].items() if k},
    )


def _bounds(by_le: dict[str, float]) -> dict[float, float]:
    return {float(le): value for le, value in by_le.items() if le}
