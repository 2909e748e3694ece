import socket
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import mlflow
import pytest
import torch
from mlflow.tracking import MlflowClient

from mnist_assets.constants import REGISTERED_MODEL_NAME
from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.assets import mnist_cnn
from mnist_assets.defs.training.tracking import mlflow_resource
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.training.model import to_pixels
from mnist_assets.ml.training.seen_digits import SEEN_FILE, seen_hashes
from mnist_assets.ml.training.trained import TrainedModel
from mnist_assets.settings import settings

pytestmark = pytest.mark.slow

TINY = {
    "model": {"conv_channels": [8, 16], "hidden_units": 32},
    "training": {"epochs": 1, "precision": "fp32"},
}


@pytest.fixture
def local_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh project-style MLflow store (SQLite + artifacts) under tmp_path."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MNIST_MLFLOW_ROOT", str(tmp_path / "mlflow"))
    yield settings().mlflow_tracking_uri
    mlflow.end_run()


def _materialize(
    data_root: Path, tracking: dg.ResourceDefinition, training_config: dict
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [raw_mnist, mnist_splits, mnist_cnn],
        resources={
            "mnist_source": MnistSourceResource(),
            "folder_io": FolderIOManager(root=str(data_root)),
            "mlflow": tracking,
        },
        run_config={"ops": {"mnist_cnn": {"config": training_config}}},
        raise_on_error=False,
    )


def test_training_is_tracked_registered_and_reloadable(tmp_path: Path, local_mlflow: str) -> None:
    result = _materialize(tmp_path / "data", mlflow_resource(), TINY)
    assert result.success
    trained = TrainedModel.load(tmp_path / "data" / "mnist_cnn")
    splits = MnistSplits.load(tmp_path / "data" / "mnist_splits")
    # The run config reached the network that was trained.
    assert trained.model.config.conv_channels == (8, 16)
    assert trained.model.config.hidden_units == 32

    client = MlflowClient(local_mlflow)
    run = client.get_run(trained.record.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["dagster_run_id"] == result.run_id
    assert run.data.tags["dagster_run_url"].endswith(f"/runs/{result.run_id}")
    assert run.data.tags["data_version"] == splits.content_hash()
    assert len(run.data.tags["git_commit"]) in (40, len("unknown"))
    assert run.data.params["model.conv_channels"] == "[8, 16]"
    assert run.data.params["training.epochs"] == "1"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "val_accuracy")] == [1]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model.pt", "training_curve.png", "config.yaml", SEEN_FILE} <= artifacts

    version = client.get_model_version(REGISTERED_MODEL_NAME, trained.record.model_version)
    # What the gate later leaves out of its comparisons: exactly the train and val digits.
    assert ModelRegistry(tracking_uri=local_mlflow).seen_digits(version) == seen_hashes(splits)
    assert version.run_id == run.info.run_id
    mlflow.set_tracking_uri(local_mlflow)
    registered = mlflow.pytorch.load_model(f"models:/{REGISTERED_MODEL_NAME}/{version.version}")
    pixels = to_pixels(torch.from_numpy(splits.test.images))
    with torch.no_grad():
        expected = trained.model(pixels).argmax(1)
        assert torch.equal(registered(pixels).argmax(1), expected)
    assert (expected.numpy() == splits.test.labels).mean() > 0.5  # one tiny epoch, well past chance

    (event,) = result.asset_materializations_for_node("mnist_cnn")
    assert event.metadata["registered_model"].value == f"{REGISTERED_MODEL_NAME} v1"
    assert event.metadata["training_curve"].value.startswith("![training curve](data:image/png")


def test_a_second_training_registers_a_new_version(tmp_path: Path, local_mlflow: str) -> None:
    for _ in range(2):
        assert _materialize(tmp_path / "data", mlflow_resource(), TINY).success
    versions = MlflowClient(local_mlflow).search_model_versions(f"name='{REGISTERED_MODEL_NAME}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]


def test_failed_training_marks_the_run_failed_and_registers_nothing(
    tmp_path: Path, local_mlflow: str
) -> None:
    broken = {**TINY, "training": {**TINY["training"], "learning_rate": -1.0}}
    result = _materialize(tmp_path / "data", mlflow_resource(), broken)
    assert not result.success
    client = MlflowClient(local_mlflow)
    (run,) = client.search_runs([client.get_experiment_by_name("mnist").experiment_id])
    assert run.info.status == "FAILED"
    assert client.search_model_versions(f"name='{REGISTERED_MODEL_NAME}'") == []
    assert not (tmp_path / "data" / "mnist_cnn").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_tracking_server_fails_at_once_and_says_so(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    result = _materialize(tmp_path / "data", mlflow_resource(tracking_uri=uri), TINY)
    elapsed = time.monotonic() - start
    assert not result.success
    failure = next(e for e in result.all_events if e.is_failure)
    message = str(failure.event_specific_data.error)
    assert f"MLflow tracking server {uri} is unreachable" in message
    assert "make mlflow" in message
    assert elapsed < 60, "the check must not wait for MLflow's minutes of retries"
    assert not (tmp_path / "data" / "mnist_cnn").exists()
