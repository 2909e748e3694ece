"""Monitoring that cannot go blind: a real Prometheus scraping a target without its series."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mnist_assets.deploy.probes import free_port, wait_until
from mnist_assets.deploy.processes import Supervisor
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.monitoring.prometheus import Prometheus
from mnist_assets.monitoring.traffic import TrafficUnavailable, from_prometheus
from mnist_assets_tests.traffic_exporter import TrafficExporter, serving_traffic

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[TrafficExporter, Prometheus]]:
    """A /metrics endpoint with the service's histograms, scraped by the project's Prometheus."""
    with serving_traffic() as (exporter, url):
        prometheus = Prometheus(tmp_path, "127.0.0.1", free_port())
        prometheus.write_config(url.removeprefix("http://"))
        supervisor = Supervisor(tmp_path)
        supervisor.start("prometheus", prometheus.command(), cwd=tmp_path)
        try:
            alive = lambda: supervisor.pid("prometheus") is not None  # noqa: E731
            wait_until(prometheus.target_up, 60, "Prometheus target", alive)
            yield exporter, prometheus
        finally:
            supervisor.stop("prometheus")


def test_a_target_up_without_its_series_is_no_fresh_data(
    scraped: tuple[TrafficExporter, Prometheus], splits: MnistSplits
) -> None:
    exporter, prometheus = scraped
    # Up, with histograms but without the gauge every served worker sets: not the live service.
    exporter.observe(splits.test.images / 255.0, splits.test.labels, np.full(len(splits.test), 0.9))
    with pytest.raises(TrafficUnavailable, match="no fresh data"):
        from_prometheus(prometheus.api, window_minutes=10)
    # Its workers announce their model: the window's traffic reads again.
    exporter.announce_model()
    alive = lambda: True  # noqa: E731
    has_info = lambda: bool(prometheus.query('mnist_model_info{job="mnist_service"}'))  # noqa: E731
    wait_until(has_info, 30, "the model gauge in Prometheus", alive)
    assert from_prometheus(prometheus.api, window_minutes=10).images > 0
