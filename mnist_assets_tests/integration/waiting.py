"""Waiting for a condition in the integration tests: poll it, never sleep a guessed time."""

import time
from collections.abc import Callable

from mnist_assets.monitoring.prometheus import Prometheus


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.2 s until it is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)


def scraped_twice_since(prometheus: Prometheus, metric: str, since: float) -> bool:
    """Whether every series of ``metric`` has two samples scraped after ``since`` (epoch s).

    Two samples after the traffic are what ``rate()`` and ``increase()`` need to see it.
    """
    window = max(1, int(time.time() - since))
    counts = prometheus.query(f"count_over_time({metric}[{window}s])")
    return bool(counts) and all(float(c["value"][1]) >= 2 for c in counts)
