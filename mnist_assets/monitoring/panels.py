"""The dashboard's panels, listed once.

The Grafana dashboard and the Prometheus console page are both generated from this list
(:mod:`mnist_assets.monitoring.dashboards`), so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnist_assets.constants import (
    METRIC_CONFIDENCE,
    METRIC_LIVE_ACCURACY,
    METRIC_LIVE_LABELS,
    METRIC_MEAN_INTENSITY,
    METRIC_MODEL_INFO,
    METRIC_PREDICTIONS,
    METRIC_TEST_ACCURACY,
)

SERVICE = '{job="mnist_service"}'
REQUESTS = "bentoml_service_request_total"
PREDICT_LATENCY = (
    'bentoml_service_request_duration_seconds_bucket{job="mnist_service",endpoint="/predict"}'
)


def _share(numerator: str, denominator: str, window: str) -> str:
    return f"sum(rate({numerator}[{window}])) / sum(rate({denominator}[{window}]))"


def _quantile(q: float, buckets: str, window: str) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate({buckets}[{window}])))"


@dataclass(frozen=True)
class Query:
    """One series of a panel: PromQL and its legend (``{label}`` names a label's value)."""

    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    """A graph over time, or (``stat``) the current value alone."""

    title: str
    unit: str  # Grafana's unit name; the console page formats numbers from it too
    queries: tuple[Query, ...]
    stat: bool = False
    thresholds: tuple[tuple[str, float], ...] = ()  # (colour, from value) after green


PANELS = (
    Panel(
        "Request rate by endpoint",
        "reqps",
        (Query(f"sum by (endpoint) (rate({REQUESTS}{SERVICE}[1m]))", "{endpoint}"),),
    ),
    Panel(
        "Error share",
        "percentunit",
        tuple(
            Query(
                _share(
                    f'{REQUESTS}{{job="mnist_service",http_response_code=~"{code}.."}}',
                    f"{REQUESTS}{SERVICE}",
                    "1m",
                ),
                f"{code}xx",
            )
            for code in (5, 4)
        ),
    ),
    Panel(
        "/predict latency",
        "s",
        (
            Query(_quantile(0.5, PREDICT_LATENCY, "1m"), "p50"),
            Query(_quantile(0.99, PREDICT_LATENCY, "1m"), "p99"),
        ),
    ),
    Panel(
        "Predictions by digit",
        "short",
        (Query(f"sum by (digit) (rate({METRIC_PREDICTIONS}{SERVICE}[1m]))", "{digit}"),),
    ),
    Panel(
        "Confidence",
        "percentunit",
        (
            Query(
                _quantile(0.5, f"{METRIC_CONFIDENCE}_bucket{SERVICE}", "5m"), "median confidence"
            ),
            Query(
                _share(
                    f"mnist_below_threshold_total{SERVICE}", f"{METRIC_PREDICTIONS}{SERVICE}", "5m"
                ),
                "below threshold",
            ),
        ),
    ),
    Panel(
        "Drift score (PSI vs training data)",
        "short",
        (Query(f"max(mnist_drift_score{SERVICE})", "drift score"),),
        thresholds=(("orange", 0.1), ("red", 0.25)),
    ),
    Panel(
        "Live accuracy (labelled feedback)",
        "percentunit",
        (
            Query(f"max({METRIC_LIVE_ACCURACY}{SERVICE})", "live accuracy"),
            Query(f"max({METRIC_TEST_ACCURACY}{SERVICE})", "champion's test accuracy"),
        ),
    ),
    Panel(
        "Labels behind live accuracy",
        "short",
        (
            Query(f"max({METRIC_LIVE_LABELS}{SERVICE})", "labels in the window"),
            Query(
                f"sum by (outcome) (increase(mnist_feedback_total{SERVICE}[5m]))",
                "{outcome} / 5 min",
            ),
        ),
    ),
    Panel(
        "Input mean intensity (median)",
        "short",
        (Query(_quantile(0.5, f"{METRIC_MEAN_INTENSITY}_bucket{SERVICE}", "5m"), "median"),),
    ),
    Panel(
        "Model serving",
        "none",
        (Query(f"max by (version, tag) ({METRIC_MODEL_INFO}{SERVICE})", "v{version} ({tag})"),),
        stat=True,
    ),
)
