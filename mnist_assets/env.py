"""The one place that decides the environment: paths, settings and configuration defaults.

Everything else asks this module instead of reading environment variables itself. Run as
``python -m mnist_assets.env`` it prints the shell exports that Dagster's and BentoML's own
commands need (the Makefile evaluates them), after preparing the Dagster home.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_DIR = PACKAGE_DIR / "configs"  # run defaults, shipped inside the package


# The source checkout this package runs from, or None when it is installed (or in a bento).
_ROOT = PACKAGE_DIR.parent
CHECKOUT = _ROOT if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "bentos").is_dir() else None


def shipped_dir() -> Path:
    """Where the files beside the package live (bentos/, deploy/, dagster.yaml, workspace.yaml).

    The checkout when running from one; else the copies ``pip install`` put under
    ``<prefix>/share/mnist-assets`` (pyproject.toml, ``data-files``).
    """
    return CHECKOUT or Path(sysconfig.get_path("data")) / "share" / "mnist-assets"


def state_dir() -> Path:
    """Where generated state lives: data, MLflow store, bentos, Dagster home, run files.

    ``MNIST_STATE_DIR`` when set; else the checkout; else, for an installed package, the
    current directory (as `dagster dev` keeps its state where it is started).
    """
    if configured := os.environ.get("MNIST_STATE_DIR"):
        return Path(configured).resolve()
    return CHECKOUT or Path.cwd()


def state_path(value: str | os.PathLike[str]) -> Path:
    """Resolve a path from configuration: absolute as given, relative to the state folder."""
    path = Path(value)
    return path if path.is_absolute() else state_dir() / path


def data_root() -> Path:
    """Where datasets live (``MNIST_DATA_ROOT``, default ``<state>/data``)."""
    return state_path(os.environ.get("MNIST_DATA_ROOT", "data"))


def dagster_home() -> Path:
    """The Dagster instance folder (``DAGSTER_HOME``, default ``<state>/.dagster_home``)."""
    return state_path(os.environ.get("DAGSTER_HOME", ".dagster_home"))


def bentoml_home() -> Path:
    """BentoML's model and bento stores (``BENTOML_HOME``, default ``<state>/.bentoml``)."""
    return state_path(os.environ.get("BENTOML_HOME", ".bentoml"))


def use_state_bentoml_home() -> None:
    """Set ``BENTOML_HOME`` for this process to :func:`bentoml_home` (before BentoML reads it)."""
    os.environ["BENTOML_HOME"] = str(bentoml_home())


def prepare_tool_homes() -> dict[str, str]:
    """Point Dagster and BentoML at the state folder, creating the Dagster instance's config.

    Sets ``DAGSTER_HOME`` and ``BENTOML_HOME`` in this process (before either library reads
    them) and returns them for child processes. MLflow's per-artifact progress bars and INFO
    logs are turned off unless set otherwise: a command prints one line per step instead.
    """
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(shipped_dir() / "dagster.yaml", home / "dagster.yaml")
    homes = {"DAGSTER_HOME": str(home), "BENTOML_HOME": str(bentoml_home())}
    os.environ.update(homes)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    return homes


@cache
def config_defaults(name: str) -> dict[str, Any]:
    """The parsed ``mnist_assets/configs/<name>.yaml``: the defaults every run starts from."""
    with (CONFIG_DIR / f"{name}.yaml").open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def monitoring_settings() -> dict[str, Any]:
    """``configs/monitoring.yaml``, with the keys of ``MNIST_MONITORING_CONFIG`` taking precedence.

    That variable names a YAML file of the same shape; a section or key the defaults lack is
    an error.
    """
    settings = config_defaults("monitoring")
    path = os.environ.get("MNIST_MONITORING_CONFIG")
    if not path:
        return settings
    with state_path(path).open() as handle:
        override = yaml.safe_load(handle) or {}
    for section, values in override.items():
        if section not in settings or not isinstance(values, dict):
            sections = ", ".join(settings)
            raise ValueError(f"{path}: {section} is no section of monitoring.yaml ({sections})")
        if unknown := sorted(set(values) - set(settings[section])):
            raise ValueError(f"{path}: {section}.{unknown[0]} is no setting of monitoring.yaml")
        settings[section].update(values)
    return settings


def source_kind() -> str:
    """The MNIST source to use unless a run says otherwise (``MNIST_SOURCE`` wins)."""
    return os.environ.get("MNIST_SOURCE") or config_defaults("data")["source"]["kind"]


def mlflow_root() -> Path:
    """Folder of the local MLflow store and its artifacts (``MNIST_MLFLOW_ROOT``)."""
    return state_path(os.environ.get("MNIST_MLFLOW_ROOT", "mlruns"))


def local_mlflow_store() -> str:
    """The project's own MLflow store: SQLite under ``<state>/mlruns`` (`make mlflow` serves it)."""
    return f"sqlite:///{mlflow_root() / 'mlflow.db'}"


def mlflow_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else the local store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or local_mlflow_store()


def run_dir() -> Path:
    """Pid files, logs and state of the local deployment (``MNIST_RUN_DIR``, default ``run/``)."""
    return state_path(os.environ.get("MNIST_RUN_DIR", "run"))


def bind_host() -> str:
    """Address every local server binds (``MNIST_BIND_HOST``): loopback unless set wider."""
    return os.environ.get("MNIST_BIND_HOST", "127.0.0.1")


def service_port() -> int:
    """Port of the deployed prediction service (``MNIST_SERVICE_PORT``, default 8000)."""
    return int(os.environ.get("MNIST_SERVICE_PORT", "8000"))


def prometheus_port() -> int:
    """Port of the deployment's Prometheus (``MNIST_PROMETHEUS_PORT``, default 9090)."""
    return int(os.environ.get("MNIST_PROMETHEUS_PORT", "9090"))


def image_name() -> str:
    """Repository name of the service images (``MNIST_IMAGE_NAME``, default mnist-service).

    Each image is tagged with its bento's version; ``latest`` follows the live one.
    """
    return os.environ.get("MNIST_IMAGE_NAME", "mnist-service")


def base_image() -> str | None:
    """The base of the service images (``MNIST_BASE_IMAGE``).

    None: the Python slim image, else a Debian base built here (deploy.base_image).
    """
    return os.environ.get("MNIST_BASE_IMAGE") or None


def dagster_ui_port() -> int:
    """Port of `make dev`'s Dagster UI (``MNIST_DAGSTER_PORT``, default 3000)."""
    return int(os.environ.get("MNIST_DAGSTER_PORT", "3000"))


def mlflow_ui_port() -> int:
    """Port of `make mlflow`'s tracking server and UI (``MNIST_MLFLOW_PORT``, default 5000)."""
    return int(os.environ.get("MNIST_MLFLOW_PORT", "5000"))


def grafana_port() -> int:
    """Port of Grafana on the container path (``MNIST_GRAFANA_PORT``, default 3001)."""
    return int(os.environ.get("MNIST_GRAFANA_PORT", "3001"))


def prometheus_url() -> str:
    """Where the deployment's Prometheus answers (``MNIST_PROMETHEUS_URL`` for another one)."""
    return os.environ.get("MNIST_PROMETHEUS_URL") or f"http://127.0.0.1:{prometheus_port()}"


def service_url() -> str:
    """Where the deployed service answers (``MNIST_SERVICE_URL`` for another one)."""
    return os.environ.get("MNIST_SERVICE_URL") or f"http://127.0.0.1:{service_port()}"


def mlflow_ui_url() -> str:
    """Base URL of the MLflow UI for links (``MLFLOW_UI_URL``, default `make mlflow`'s)."""
    return os.environ.get("MLFLOW_UI_URL") or f"http://127.0.0.1:{mlflow_ui_port()}"


def dagster_ui_url() -> str:
    """Base URL of the Dagster UI for links (``DAGSTER_UI_URL``, default `make dev`'s)."""
    return os.environ.get("DAGSTER_UI_URL") or f"http://127.0.0.1:{dagster_ui_port()}"


def api_token() -> str | None:
    """The service's bearer token (``MNIST_API_TOKEN``); None leaves the endpoints open."""
    return os.environ.get("MNIST_API_TOKEN") or None


def review_token() -> str | None:
    """The token guarding ``/inputs/recent`` when ``MNIST_API_TOKEN`` is unset (the deploy's)."""
    return os.environ.get("MNIST_REVIEW_TOKEN") or None


def max_body_bytes() -> int:
    """The largest request body the service reads (``MNIST_MAX_BODY_BYTES``, default 8 MiB)."""
    return int(os.environ.get("MNIST_MAX_BODY_BYTES", 8 * 1024 * 1024))


def max_image_pixels() -> int:
    """Pixels an uploaded image may declare (``MNIST_MAX_IMAGE_PIXELS``, default 1,000,000).

    A photo of one digit needs far less; a header declaring more is refused before decoding.
    """
    return int(os.environ.get("MNIST_MAX_IMAGE_PIXELS", 1_000_000))


def max_request_pixels() -> int:
    """Pixels the images of one request may declare together (``MNIST_MAX_REQUEST_PIXELS``).

    Default 16,000,000: 16 photos at the per-image cap, or 256 images of 250x250.
    """
    return int(os.environ.get("MNIST_MAX_REQUEST_PIXELS", 16_000_000))


def access_log() -> bool:
    """Whether the bento logs a line per request (``MNIST_ACCESS_LOG=on``; default off).

    The request metrics already count every request; at 3,000 requests a second the lines
    alone would be 2 GB of log an hour and about a fifth of a worker's time.
    """
    return os.environ.get("MNIST_ACCESS_LOG", "off").lower() in ("on", "true", "1")


def log_max_bytes() -> int:
    """Size at which each deployment log is rotated (``MNIST_LOG_MAX_BYTES``, default 10 MiB)."""
    return int(os.environ.get("MNIST_LOG_MAX_BYTES", 10 * 1024 * 1024))


def keep_releases() -> int:
    """How many newest bentos a deploy keeps besides the live and rollback ones.

    ``MNIST_KEEP_RELEASES``, default 3; older bentos go with their images and models.
    """
    return int(os.environ.get("MNIST_KEEP_RELEASES", 3))


def service_workers() -> int | str:
    """Worker processes per bento (``MNIST_SERVICE_WORKERS``), by default one per core.

    One single-threaded worker per core: 1.8x one worker's requests/s at 64 clients on 2 cores.
    """
    workers = os.environ.get("MNIST_SERVICE_WORKERS", "")
    return int(workers) if workers.isdigit() else "cpu_count"


def bento_model(default: str) -> str:
    """The stored model a bento serves when it was built without one (``MNIST_BENTO_MODEL``)."""
    return os.environ.get("MNIST_BENTO_MODEL") or default


def is_set(name: str) -> bool:
    """Whether the environment variable ``name`` has a value (its value is not read here)."""
    return bool(os.environ.get(name))


def automation_run_config() -> dict[str, Any]:
    """Run config of the runs that sensors and schedules request.

    ``MNIST_AUTOMATION_RUN_CONFIG`` names a YAML or JSON file; unset, the runs use the defaults.
    """
    path = os.environ.get("MNIST_AUTOMATION_RUN_CONFIG")
    if not path:
        return {}
    with state_path(path).open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle) or {}
    return loaded


def prod_settings() -> tuple[Path, dict[str, int]]:
    """Run folder and ports of `make prod-up` (``MNIST_PROD_RUN_DIR``, ``MNIST_PROD_*_PORT``).

    MLflow and the Dagster UI default to the ports `make mlflow` and `make dev` use.
    """
    defaults = {
        "postgres": 5432,
        "mlflow": mlflow_ui_port(),
        "code_server": 4266,
        "webserver": dagster_ui_port(),
    }
    ports = {
        name: int(os.environ.get(f"MNIST_PROD_{name.upper()}_PORT", default))
        for name, default in defaults.items()
    }
    return state_path(os.environ.get("MNIST_PROD_RUN_DIR", "run/prod")), ports


@cache
def git_commit() -> str:
    """The checked-out commit of the project, or ``unknown`` outside a git checkout."""
    if CHECKOUT is None:
        return "unknown"
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=CHECKOUT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


if __name__ == "__main__":
    for name, value in prepare_tool_homes().items():
        print(f"export {name}={shlex.quote(value)}")
