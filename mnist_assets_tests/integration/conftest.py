import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnist_assets.deploy.engines import detect
from mnist_assets.deploy.probes import free_port
from mnist_assets_tests import REPO_ROOT

# The tests' service images: never the deployed ones (nor their `latest` alias).
TEST_IMAGE_NAME = "mnist-service-test"


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """A fresh Dagster home using the project's dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def cli_env(tmp_path: Path, dagster_home: Path) -> dict[str, str]:
    """Environment for the project's command-line tools: venv first on PATH, tmp data and home."""
    prefixes = ("MNIST_", "DAGSTER_", "MLFLOW_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["DAGSTER_HOME"] = str(dagster_home)
    env["MNIST_STATE_DIR"] = str(tmp_path / "state")  # whatever no other setting places
    env["MNIST_DATA_ROOT"] = str(tmp_path / "data")
    env["MNIST_IMAGE_NAME"] = TEST_IMAGE_NAME
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> str:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="session", autouse=True)
def _test_images() -> Iterator[None]:
    """Deploys of the session build TEST_IMAGE_NAME images, removed when it ends."""
    before = os.environ.get("MNIST_IMAGE_NAME")
    os.environ["MNIST_IMAGE_NAME"] = TEST_IMAGE_NAME  # deploys run in process too
    yield
    if before is None:
        os.environ.pop("MNIST_IMAGE_NAME")
    else:
        os.environ["MNIST_IMAGE_NAME"] = before
    engine, _ = detect()
    if engine is not None:
        refs = engine.run("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).split()
        for ref in refs:
            if ref.rsplit("/", 1)[-1].startswith(f"{TEST_IMAGE_NAME}:"):
                engine.run("rmi", "-f", ref, check=False)


def own_deployment(tmp_path: Path, env: dict[str, str]) -> tuple[int, int]:
    """Point ``env`` at a deployment of the test's own: run folder, stores, free ports.

    Returns the service's and Prometheus's ports.
    """
    port, prometheus_port = free_port(), free_port()
    env.update(
        MNIST_RUN_DIR=str(tmp_path / "run"),
        MNIST_MLFLOW_ROOT=str(tmp_path / "mlruns"),
        BENTOML_HOME=str(tmp_path / "bentoml"),
        MNIST_SERVICE_PORT=str(port),
        MNIST_PROMETHEUS_PORT=str(prometheus_port),
    )
    return port, prometheus_port
