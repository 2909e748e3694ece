"""`make dev` and `make mlflow`: the Dagster and MLflow UIs on the ports mnist_assets.env names."""

import os
import sys
from pathlib import Path

from mnist_assets import env
from mnist_assets.settings import settings


def _exec(program: str, *args: str) -> int:
    """Replace this process with ``program`` from the same environment (Ctrl-C stops it)."""
    executable = str(Path(sys.executable).parent / program)
    os.execv(executable, [executable, *args])  # nosec B606
    return 1  # not reached: execv only returns by raising


def dagster_ui() -> int:
    """The Dagster UI and daemon (`dagster dev`) over the project's workspace and instance."""
    workspace = env.shipped_dir() / "workspace.yaml"
    current = settings()
    print(
        f"Dagster UI on {current.dagster_ui_url} (Dagster home {current.dagster_home})", flush=True
    )
    port = str(current.dagster_port)
    return _exec("dagster", "dev", "-w", str(workspace), "-h", current.bind_host, "-p", port)


def mlflow_ui() -> int:
    """The MLflow tracking server and UI over the local store."""
    current = settings()
    artifacts = current.mlflow_root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    print(f"MLflow UI on {current.mlflow_ui_url} (store {current.mlflow_root})", flush=True)
    return _exec(
        "mlflow", "server",
        "--backend-store-uri", current.local_mlflow_store,
        "--artifacts-destination", str(artifacts),
        "--host", current.bind_host, "--port", str(current.mlflow_port),
    )  # fmt: skip
