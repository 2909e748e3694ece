"""The Dagster daemon, and watching what it does: runs launched, finished, the model served."""

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run


@contextmanager
def dagster_daemon(env: dict[str, str], log: Path) -> Iterator[Path]:
    """`dagster-daemon run` on the project's workspace and instance; yields its log file."""
    with log.open("w") as out:
        process = subprocess.Popen(
            ["dagster-daemon", "run", "-w", str(REPO_ROOT / "workspace.yaml")],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_for_model(url: str, version: str, timeout: float, log: Path) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{url}/model/info", timeout=10) as response:
            info = json.loads(response.read())
        if info["model_version"] == version:
            return info
        time.sleep(5)
    pytest.fail(f"model v{version} never served; daemon log:\n{log.read_text()[-5000:]}")


def finished_sensor_run(dagster_home: Path, sensor: str, timeout: float = 120) -> dg.DagsterRun:
    """The one run ``sensor`` launched, once it has finished (the swap precedes its last events)."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while True:
            (run,) = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": sensor}))
            if run.is_finished or time.monotonic() > deadline:
                return run
            time.sleep(2)


def launch(env: dict[str, str], config: dict, reason: str) -> None:
    """Submit a `retraining` run to the instance's queue, as the UI's Launchpad does."""
    command = ["dagster", "job", "launch", "-w", str(REPO_ROOT / "workspace.yaml")]
    command += ["-j", "retraining", "--config-json", json.dumps(config)]
    run([*command, "--tags", json.dumps({"mnist/reason": reason})], REPO_ROOT, env)


def finished_runs(dagster_home: Path, count: int, timeout: float, log: Path) -> list:
    """The ``count`` retraining runs and their stats, once all have finished, oldest first."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while time.monotonic() < deadline:
            runs = instance.get_runs(dg.RunsFilter(job_name="retraining"))
            if len(runs) == count and all(r.is_finished for r in runs):
                stats = [(r, instance.get_run_stats(r.run_id)) for r in runs]
                return sorted(stats, key=lambda pair: pair[1].start_time)
            time.sleep(3)
    pytest.fail(f"{count} retraining runs did not finish; daemon log:\n{log.read_text()[-5000:]}")
