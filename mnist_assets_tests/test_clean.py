from pathlib import Path

import pytest

from mnist_assets.cli import main

# Users' data and the registries: what `make clean` must keep and `make purge` deletes.
KEPT = [
    "data/batches/batch-001/images.npy",  # accepted labelled data: its only copy
    "data/review/20260101T000000/unlabelled/0001.png",
    "data/quarantine/bad.npz",
    "data/incoming/new.npz",
    "data/external/idx/train-images-idx3-ubyte.gz",
    "mlruns/mlflow.db",  # the local registry
    "run/prod/postgres/PG_VERSION",  # the production registry and run history
]
# Derived asset data, caches, stores and run files: rebuilt by the next make deploy.
REMOVED = [
    "data/raw_mnist/images.npy",
    "data/mnist_cnn/model.pt",
    "data/downloads/torchvision/MNIST/raw/t10k-labels-idx1-ubyte",
    ".bentoml/bentos/mnist_service/latest",
    ".dagster_home/storage/runs.db",
    "run/logs/bento-blue.log",
]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state folder of its own with one file of every kind; no engine's images touched."""
    for name in (
        "MNIST_DATA_ROOT",
        "MNIST_RUN_DIR",
        "DAGSTER_HOME",
        "BENTOML_HOME",
        "MNIST_MLFLOW_ROOT",
        "MNIST_PROD_RUN_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MNIST_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("MNIST_IMAGE_NAME", "mnist-clean-test-image")
    for relative in KEPT + REMOVED:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    return tmp_path


def test_clean_removes_what_can_be_rebuilt_and_keeps_what_users_made(state: Path) -> None:
    assert main(["clean"]) == 0
    assert [p for p in KEPT if not (state / p).exists()] == []
    assert [p for p in REMOVED if (state / p).exists()] == []


def test_purge_asks_and_without_an_answer_deletes_nothing(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["purge"]) == 1
    assert "make purge CONFIRM=yes" in capsys.readouterr().out
    assert all((state / p).exists() for p in KEPT + REMOVED)


def test_purge_with_yes_deletes_everything(state: Path) -> None:
    assert main(["purge", "--yes"]) == 0
    assert [p for p in KEPT + REMOVED if (state / p).exists()] == []
