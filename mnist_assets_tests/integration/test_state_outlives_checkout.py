"""CD from a fresh checkout each time: everything generated lives in MNIST_STATE_DIR, so a deploy
from a new clone finds the same models, bentos, runs and rollback history, and retrains nothing."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mnist_assets.deploy.probes import free_port
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.clients import get_json
from mnist_assets_tests.integration.conftest import run
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN, retrain_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _clone(target: Path) -> Path:
    """A copy of this working tree's files, as a checkout of it would hold them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (REPO_ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, target / name)
    return target


def test_a_deploy_from_a_new_clone_finds_the_state_of_the_deleted_one(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    state = tmp_path / "state"
    env = {k: v for k, v in cli_env.items() if k not in ("DAGSTER_HOME", "BENTOML_HOME")}
    env.pop("MNIST_DATA_ROOT")  # everything under the state folder, as deploy.yml sets it
    env.update(
        MNIST_STATE_DIR=str(state),
        MNIST_SERVICE_PORT=str(free_port()),
        MNIST_PROMETHEUS_PORT=str(free_port()),
    )
    url = f"http://127.0.0.1:{env['MNIST_SERVICE_PORT']}"
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(SHORT_RUN))
    deploy = ["mnist-assets", "deploy", "--run-config", str(config)]
    first = _clone(tmp_path / "clone-a")
    try:
        # The code runs from the clone; nothing is written into it.
        env["PYTHONPATH"] = str(first)
        run(deploy, first, env, timeout=600)
        retrain = retrain_run(seed=7)
        materialize = ["dagster", "asset", "materialize", "-m", "mnist_assets.definitions"]
        selection = ["--select", "mnist_cnn*", "--config-json", json.dumps(retrain)]
        run([*materialize, *selection], first, env, timeout=600)
        serving = get_json(f"{url}/model/info")
        assert serving["model_version"] == "2"
        assert not list(first.glob("*/mlflow.db")) and not (first / "run").exists()
        shutil.rmtree(first)
        assert get_json(f"{url}/model/info") == serving  # the service outlived its checkout

        second = _clone(tmp_path / "clone-b")
        env["PYTHONPATH"] = str(second)
        output = run(deploy, second, env, timeout=600)
        assert "up to date: nothing to retrain" in output
        assert get_json(f"{url}/model/info")["bento"] == serving["bento"]
        output = run(["mnist-assets", "rollback"], second, env)
        assert "(model v1)" in output and get_json(f"{url}/model/info")["model_version"] == "1"
    finally:
        run(["mnist-assets", "undeploy"], REPO_ROOT, {**env, "PYTHONPATH": ""})
