"""The one place that decides the environment: paths, settings and configuration defaults.

Everything else asks this module instead of reading environment variables itself.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def project_path(value: str | os.PathLike[str]) -> Path:
    """Resolve a path from configuration: absolute as given, relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def data_root() -> Path:
    """Where datasets live (``MNIST_DATA_ROOT``, default ``<project>/data``)."""
    return project_path(os.environ.get("MNIST_DATA_ROOT", "data"))


@cache
def config_defaults(name: str) -> dict[str, Any]:
    """The parsed ``configs/<name>.yaml``: the defaults every run starts from."""
    with (PROJECT_ROOT / "configs" / f"{name}.yaml").open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def source_kind() -> str:
    """The MNIST source to use unless a run says otherwise (``MNIST_SOURCE`` wins)."""
    return os.environ.get("MNIST_SOURCE") or config_defaults("data")["source"]["kind"]


def mlflow_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else a SQLite store under ``<project>/mlruns``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{mlflow_root() / 'mlflow.db'}"


def mlflow_root() -> Path:
    """Folder of the local MLflow store and its artifacts (``MNIST_MLFLOW_ROOT``)."""
    return project_path(os.environ.get("MNIST_MLFLOW_ROOT", "mlruns"))


def mlflow_ui_url() -> str:
    """Base URL of the MLflow UI for links (``MLFLOW_UI_URL``, default `make mlflow`'s)."""
    return os.environ.get("MLFLOW_UI_URL", "http://127.0.0.1:5000")


def dagster_ui_url() -> str:
    """Base URL of the Dagster UI for links (``DAGSTER_UI_URL``, default `make dev`'s)."""
    return os.environ.get("DAGSTER_UI_URL", "http://127.0.0.1:3000")


@cache
def git_commit() -> str:
    """The checked-out commit of the project, or ``unknown`` outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def run_dir() -> Path:
    """Pid files, logs and state of the local deployment (``MNIST_RUN_DIR``, default ``run/``)."""
    return project_path(os.environ.get("MNIST_RUN_DIR", "run"))


def bind_host() -> str:
    """Address every local server binds (``MNIST_BIND_HOST``): loopback unless set wider."""
    return os.environ.get("MNIST_BIND_HOST", "127.0.0.1")


def service_port() -> int:
    """Port of the deployed prediction service (``MNIST_SERVICE_PORT``, default 8000)."""
    return int(os.environ.get("MNIST_SERVICE_PORT", "8000"))


def prometheus_port() -> int:
    """Port of the deployment's Prometheus (``MNIST_PROMETHEUS_PORT``, default 9090)."""
    return int(os.environ.get("MNIST_PROMETHEUS_PORT", "9090"))


def api_token() -> str | None:
    """The service's bearer token (``MNIST_API_TOKEN``); None leaves the endpoints open."""
    return os.environ.get("MNIST_API_TOKEN") or None


def automation_run_config() -> dict[str, Any]:
    """Run config of the runs that sensors and schedules request.

    ``MNIST_AUTOMATION_RUN_CONFIG`` names a YAML or JSON file; unset, the runs use configs/.
    """
    path = os.environ.get("MNIST_AUTOMATION_RUN_CONFIG")
    if not path:
        return {}
    with project_path(path).open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle) or {}
    return loaded


def prometheus_url() -> str:
    """Where the deployment's Prometheus answers (``MNIST_PROMETHEUS_URL`` for another one)."""
    return os.environ.get("MNIST_PROMETHEUS_URL") or f"http://127.0.0.1:{prometheus_port()}"


def service_url() -> str:
    """Where the deployed service answers (``MNIST_SERVICE_URL`` for another one)."""
    return os.environ.get("MNIST_SERVICE_URL") or f"http://127.0.0.1:{service_port()}"


def prod_settings() -> tuple[Path, dict[str, int]]:
    """Run folder and ports of `make prod-up` (``MNIST_PROD_RUN_DIR``, ``MNIST_PROD_*_PORT``)."""
    ports = {"postgres": 5432, "mlflow": 5000, "code_server": 4266, "webserver": 3000}
    for name in ports:
        ports[name] = int(os.environ.get(f"MNIST_PROD_{name.upper()}_PORT", ports[name]))
    return project_path(os.environ.get("MNIST_PROD_RUN_DIR", "run/prod")), ports
