"""Live accuracy as Prometheus has it: the share right of the last labelled predictions."""

from __future__ import annotations

from mnist_assets.constants import METRIC_LIVE_ACCURACY, METRIC_LIVE_LABELS
from mnist_assets.monitoring.prometheus import JOB, PrometheusApi, PrometheusError


def live_accuracy(api: PrometheusApi) -> tuple[float | None, int | None]:
    """Live accuracy and how many labels it is over.

    Nones when no label came back yet, or Prometheus cannot say.
    """
    try:
        accuracy = api.query(f'max({METRIC_LIVE_ACCURACY}{{job="{JOB}"}})')
        labels = api.query(f'max({METRIC_LIVE_LABELS}{{job="{JOB}"}})')
    except PrometheusError:
        return None, None
    if not accuracy or not labels:
        return None, None
    return float(accuracy[0]["value"][1]), int(float(labels[0]["value"][1]))
