"""The environment's one declaration: resolved values, clear refusals, the docs' table."""

import subprocess
import sys
from pathlib import Path

import pytest

from mnist_assets.settings import CHECKOUT, SettingError, Settings, settings, variable
from mnist_assets.settings_docs import table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_settings_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test starts from the defaults (MLflow, for one, sets MLFLOW_TRACKING_URI for itself).
    for name in Settings.model_fields:
        monkeypatch.delenv(variable(name), raising=False)


def test_the_docs_table_is_the_declaration() -> None:
    page = (ROOT / "docs" / "settings.md").read_text()
    assert table() in page, "docs/settings.md is stale: run `python -m mnist_assets.settings_docs`"


def test_every_setting_says_why() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 10, name


def test_paths_are_in_the_state_folder_unless_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MNIST_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MNIST_RUN_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("MNIST_DATA_ROOT", "")  # empty counts as unset
    current = settings()
    assert current.data_root == tmp_path / "state" / "data"
    assert current.run_dir == tmp_path / "elsewhere"
    assert current.mlflow_tracking_uri == f"sqlite:///{tmp_path}/state/mlruns/mlflow.db"


def test_derived_defaults_follow_what_they_derive_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_MLFLOW_PORT", "5123")
    monkeypatch.setenv("MNIST_SERVICE_PORT", "8123")
    monkeypatch.setenv("MNIST_PROMETHEUS_URL", "http://metrics.internal:9090/")
    current = settings()
    assert current.prod_ports["mlflow"] == 5123 and current.mlflow_ui_url.endswith(":5123")
    assert current.service_url == "http://127.0.0.1:8123"
    assert current.prometheus_url == "http://metrics.internal:9090"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("MNIST_SERVICE_PORT", "eighty", "MNIST_SERVICE_PORT='eighty'"),  # not a number
        ("MNIST_SERVICE_PORT", "70000", "less than or equal to 65535"),  # not a port
        ("MNIST_SERVICE_WORKERS", "0", "MNIST_SERVICE_WORKERS='0'"),  # no worker at all
        ("MNIST_ACCESS_LOG", "sometimes", "MNIST_ACCESS_LOG"),  # neither on nor off
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=words):
        settings()


def test_secrets_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_API_TOKEN", "s3cret-token")
    current = settings()
    assert current.api_token == "s3cret-token" and "s3cret-token" not in repr(current)


def test_reading_the_settings_changes_nothing(tmp_path: Path) -> None:
    # No side effects on import or read: no folder made, no variable set for child processes.
    code = (
        "import os; from mnist_assets.settings import settings; s = settings();"
        "print('DAGSTER_HOME' in os.environ, s.dagster_home.exists())"
    )
    environment = {"MNIST_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


def test_variables_keep_their_names() -> None:
    assert variable("dagster_home") == "DAGSTER_HOME"
    assert variable("service_port") == "MNIST_SERVICE_PORT"


def test_no_python_file_passes_250_lines() -> None:
    assert CHECKOUT is not None
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=CHECKOUT, capture_output=True, text=True, check=True
    ).stdout.split()
    long = {f: n for f in tracked if (n := len((CHECKOUT / f).read_text().splitlines())) > 250}
    assert not long, f"split these by concept: {long}"
