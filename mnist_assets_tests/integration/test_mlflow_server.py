"""Training against a real `mlflow server`: the tracking URI is the only thing that changes."""

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from mnist_assets.constants import REGISTERED_MODEL_NAME
from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.defs.training.assets import mnist_cnn
from mnist_assets.defs.training.tracking import mlflow_resource

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'server.db'}",
        "--artifacts-destination",
        str(tmp_path / "server-artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "mlflow server did not start in 90 s"
                time.sleep(0.5)
        yield uri
    finally:
        mlflow.end_run()
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_training_against_a_tracking_server(tmp_path: Path, mlflow_server: str) -> None:
    result = dg.materialize(
        [raw_mnist, mnist_splits, mnist_cnn],
        resources={
            "mnist_source": MnistSourceResource(),
            "folder_io": FolderIOManager(root=str(tmp_path / "data")),
            "mlflow": mlflow_resource(tracking_uri=mlflow_server),
        },
        run_config={"ops": {"mnist_cnn": {"config": {"training": {"epochs": 1}}}}},
    )
    assert result.success
    client = MlflowClient(mlflow_server)
    (version,) = client.search_model_versions(f"name='{REGISTERED_MODEL_NAME}'")
    run = client.get_run(version.run_id)
    assert run.data.tags["dagster_run_id"] == result.run_id
    # Artifacts went through the server into its artifact store, not into the project.
    assert any((tmp_path / "server-artifacts").rglob("training_curve.png"))
