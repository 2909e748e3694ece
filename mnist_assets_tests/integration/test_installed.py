"""`pip install .` (not editable) deploys from any folder: configs, bento and deploy files ship."""

import json
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from mnist_assets.deploy.probes import free_port
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Generated state and local tooling of the checkout: never part of what is installed.
NOT_SOURCE = (".git", ".venv*", "data", "mlruns", "run", ".bentoml", ".dagster_home", "build")


def _installed_venv(tmp_path: Path) -> Path:
    """A fresh venv holding a wheel of the project, its dependencies borrowed from this one.

    The wheel is built from a copy of the checkout, so nothing it needs can come from here; the
    dependencies (gigabytes of PyTorch) come from this interpreter's site-packages through a
    .pth file, and their console scripts are written as pip writes them.
    """
    source = tmp_path / "source"
    top_level = shutil.ignore_patterns(*NOT_SOURCE)
    anywhere = shutil.ignore_patterns("__pycache__", "*.egg-info")

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = top_level(folder, names) if Path(folder) == REPO_ROOT else set()
        return skipped | anywhere(folder, names)

    shutil.copytree(REPO_ROOT, source, ignore=ignore)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), "."], source, {})
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    (wheel,) = wheels.glob("mnist_assets-*.whl")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path, {})
    for script in entry_points(group="console_scripts"):
        if script.name == "bentoml":
            module, attr = script.value.split(":")
            path = venv / "bin" / script.name
            path.write_text(
                f"#!{python}\nimport sys\nfrom {module} import {attr}\nsys.exit({attr}())\n"
            )
            path.chmod(0o755)
    return venv


def test_an_installed_package_deploys_from_another_folder(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    venv = _installed_venv(tmp_path)
    where = venv / "bin" / "python"
    located = subprocess.check_output(
        [where, "-c", "from mnist_assets import env; print(env.CHECKOUT, env.shipped_dir())"],
        cwd=tmp_path,
        text=True,
    ).split()
    assert located == ["None", str(venv / "share" / "mnist-assets")]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port, prometheus_port = free_port(), free_port()
    env = {
        k: v
        for k, v in cli_env.items()
        if k not in ("DAGSTER_HOME", "BENTOML_HOME", "MNIST_STATE_DIR")
    }
    env.pop("MNIST_DATA_ROOT")
    env.update(
        PATH=f"{venv / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
        MNIST_SERVICE_PORT=str(port),
        MNIST_PROMETHEUS_PORT=str(prometheus_port),
    )
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(SHORT_RUN))
    try:
        output = run(["mnist-assets", "deploy", "--run-config", str(config)], elsewhere, env, 600)
        assert "mnist-assets is live" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/model/info", timeout=10) as answer:
            assert json.loads(answer.read())["model_version"] == "1"
    finally:
        run(["mnist-assets", "undeploy"], elsewhere, env)
    # State lands where the command ran, with the instance config the package ships.
    for made in ("data/raw_mnist", "mlruns/mlflow.db", ".dagster_home/dagster.yaml", ".bentoml"):
        assert (elsewhere / made).exists(), made
