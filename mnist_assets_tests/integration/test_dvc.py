"""The DVC pipeline on a copy of the project: repro, push, wipe, pull, byte-for-byte equal."""

import shutil
import subprocess
from pathlib import Path

import pytest

from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DVC = REPO_ROOT / ".venv-dvc" / "bin" / "dvc"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The project's tracked and new files (no data, no venvs) in a fresh git repository."""
    assert DVC.exists(), f"{DVC} is missing: `make install` creates it"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    copy = tmp_path / "project"
    for name in files:
        if (REPO_ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, copy / name)
    (copy / "dvc.lock").unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    return copy


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_repro_push_pull_round_trip(
    tmp_path: Path, project_copy: Path, cli_env: dict[str, str]
) -> None:
    cli_env["MNIST_DATA_ROOT"] = str(project_copy / "data")
    dvc = [str(DVC)]
    run(
        [*dvc, "remote", "modify", "--local", "local", "url", str(tmp_path / "remote")],
        project_copy,
        cli_env,
    )
    cli_env["MNIST_MLFLOW_ROOT"] = str(tmp_path / "mlruns")  # mnist_cnn registers its model
    # Every stage: the data, then the training (the default recipe, about 15 s here).
    out = run([*dvc, "repro"], project_copy, cli_env, timeout=900)
    for stage in ("raw_mnist", "mnist_splits", "mnist_cnn"):
        assert f"Running stage '{stage}'" in out, stage
    status = run([*dvc, "status"], project_copy, cli_env)
    assert "Data and pipelines are up to date" in status
    assert "mnist_cnn" in run([*dvc, "dag"], project_copy, cli_env)

    before = _snapshot(project_copy / "data")
    assert {"raw_mnist/images.npy", "mnist_splits/test/labels.npy", "mnist_cnn/model.pt"} <= set(
        before
    )
    run([*dvc, "push"], project_copy, cli_env)

    for stage in ("raw_mnist", "mnist_splits", "mnist_cnn"):
        shutil.rmtree(project_copy / "data" / stage)
    shutil.rmtree(project_copy / ".dvc" / "cache")
    run([*dvc, "pull"], project_copy, cli_env)
    after = _snapshot(project_copy / "data")
    assert after.keys() == before.keys()
    assert all(after[name] == before[name] for name in before)

    # Nothing changed, so a second repro re-runs no stage, the training included.
    again = run([*dvc, "repro"], project_copy, cli_env)
    assert "didn't change, skipping" in again and "Running stage" not in again
