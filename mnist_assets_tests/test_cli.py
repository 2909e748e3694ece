import json
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from mnist_assets.cli import main
from mnist_assets.constants import MLFLOW_EXPERIMENT


def test_run_config_keeps_only_given_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run-config", "--epochs", "3", "--learning-rate", "0.02", "--device", ""]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config == {
        "ops": {"mnist_cnn": {"config": {"training": {"epochs": 3, "learning_rate": 0.02}}}}
    }


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    """Two finished runs that differ in learning rate only, plus one failed run."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment(MLFLOW_EXPERIMENT, (tmp_path / "art").as_uri())
    for lr, accuracy, status in (
        ("0.01", 0.99, "FINISHED"),
        ("0.1", 0.95, "FINISHED"),
        ("1", 0.1, "FAILED"),
    ):
        run = client.create_run(experiment, run_name=f"lr-{lr}")
        client.log_param(run.info.run_id, "training.learning_rate", lr)
        client.log_param(run.info.run_id, "training.epochs", "15")
        for epoch in (1, 2):
            client.log_metric(
                run.info.run_id, "val_accuracy", accuracy - 0.01 * (2 - epoch), step=epoch
            )
        client.log_metric(run.info.run_id, "best_val_accuracy", accuracy)
        client.set_terminated(run.info.run_id, status)
    yield client
    mlflow.set_tracking_uri(None)


def test_compare_prints_differences_and_plots(
    store: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "compare.png"
    assert main(["compare", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "training.learning_rate" in out  # differs between the runs
    assert "training.epochs" not in out  # the same everywhere: noise, left out
    assert "lr-0.01" in out and "lr-0.1" in out and "lr-1" not in out  # failed runs excluded
    assert "0.99" in out and "0.95" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_without_runs_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["compare", "--plot", str(tmp_path / "x.png")]) == 1
    assert "no MLflow experiment 'mnist' yet: train a model first" in capsys.readouterr().err


def test_a_bad_setting_stops_a_command_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MNIST_SERVICE_PORT", "eighty")
    assert main(["status"]) == 2
    assert "mnist-assets: MNIST_SERVICE_PORT='eighty'" in capsys.readouterr().err
