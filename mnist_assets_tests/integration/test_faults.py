"""Faults with real processes: a bento worker killed under load, Prometheus gone."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnist_assets.defs.monitoring.live_drift import DriftWatch
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.stack import PROMETHEUS, Deployment
from mnist_assets_tests.integration.clients import Load, post_json
from mnist_assets_tests.integration.processes import predictions_counted
from mnist_assets_tests.integration.test_deploy_recovery import _two_bentos
from mnist_assets_tests.integration.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKER = "_bentoml_impl.worker.service"  # the module BentoML runs each service worker as


@pytest.fixture(scope="module")
def deployment(
    stored_int8_model: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """A bento behind the gateway, scraped by Prometheus, on ports and folders of its own."""
    first, _ = _two_bentos(stored_int8_model)
    run_dir = tmp_path_factory.mktemp("faults") / "run"
    deployment = Deployment(run_dir, "127.0.0.1", free_port(), free_port())
    try:
        deployment.serve(first, "7")
        deployment.monitor()
        yield deployment
    finally:
        deployment.stop()


def _workers(server: int) -> list[int]:
    """The pids of the service workers ``bentoml serve`` (pid ``server``) started."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if parent == server and WORKER in command:
            found.append(int(proc.name))
    return found


def test_a_killed_worker_is_replaced_and_requests_succeed_again_within_10_s(
    deployment: Deployment,
) -> None:
    live = deployment.state().live
    assert live is not None
    server = deployment.supervisor.pid(f"bento-{live.slot}")
    assert server is not None
    workers = _workers(server)
    assert len(workers) >= 1, "no service worker found"
    load = Load(deployment.url)
    load.start()
    wait_for(lambda: load.sent >= 20, 30, "20 requests before the kill")
    before = load.sent
    os.kill(workers[0], signal.SIGKILL)
    # BentoML starts a replacement, and within 10 s of the kill requests succeed again.
    wait_for(
        lambda: len(_workers(server)) == len(workers) and workers[0] not in _workers(server),
        10,
        "a replacement worker",
    )
    wait_for(lambda: load.succeeded_in_a_row >= 5, 10, "five answered requests in a row")
    failed_during, sent_then = len(load.failed), load.sent
    wait_for(lambda: load.sent >= sent_then + 100, 30, "the last stretch of 100 requests")
    load.done.set()
    load.join()
    print(f"worker killed under load: {failed_during} of {sent_then - before} requests failed")
    assert len(load.failed) == failed_during, "requests failed again after the replacement"


def test_with_prometheus_gone_the_service_serves_and_drift_reads_its_metrics(
    deployment: Deployment,
) -> None:
    deployment.supervisor.stop(PROMETHEUS)
    before = predictions_counted(deployment.url)
    image = [[0.0] * 28] * 28
    for _ in range(10):
        assert post_json(f"{deployment.url}/predict", {"image": image}) == 200
    watch = DriftWatch(prometheus_url=deployment.prometheus.url, service_url=deployment.url)
    traffic, source, snapshot = watch.read(None)
    assert source == "service /metrics since last evaluation"
    assert traffic.images >= before + 10 and snapshot is not None
