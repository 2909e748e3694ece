"""Every environment variable the project reads, declared once: a typed field, a default, a reason.

``settings()`` reads the environment afresh on each call (commands and tests change it).
Relative paths are resolved against the state folder and unset URLs are derived from the ports,
so callers get final values. Reading has no side effects: :mod:`mnist_assets.env` prepares the
tool homes; :mod:`mnist_assets.settings_docs` writes the table in ``docs/settings.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
# The source checkout this package runs from, or None when it is installed (or in a bento).
_ROOT = PACKAGE_DIR.parent
CHECKOUT = _ROOT if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "bentos").is_dir() else None

Port = Annotated[int, Field(ge=1, le=65535)]
Positive = Annotated[int, Field(ge=1)]
MIB = 1024 * 1024


def _shown(text: str) -> dict[str, Any]:
    """How the settings table shows a default computed at run time."""
    return {"shown": text}


class Settings(BaseSettings):
    """The environment of every command, server and run of the project."""

    model_config = SettingsConfigDict(
        env_prefix="MNIST_", env_ignore_empty=True, validate_default=True, frozen=True
    )

    # Where things live. Relative paths are inside the state folder.
    state_dir: Path = Field(
        default_factory=lambda: CHECKOUT or Path.cwd(),
        description="where everything generated lives: data/, mlruns/, run/, .bentoml/, "
        ".dagster_home/",
        json_schema_extra=_shown("the checkout; an installed package: the current folder"),
    )
    data_root: Path = Field(Path("data"), description="datasets, batches, review and quarantine")
    mlflow_root: Path = Field(Path("mlruns"), description="the local MLflow store and artifacts")
    run_dir: Path = Field(Path("run"), description="pid files, logs and state of the deployment")
    dagster_home: Path = Field(
        Path(".dagster_home"),
        validation_alias="DAGSTER_HOME",
        description="the Dagster instance, created from dagster.yaml",
    )
    bentoml_home: Path = Field(
        Path(".bentoml"), validation_alias="BENTOML_HOME", description="BentoML's stores"
    )
    prod_run_dir: Path = Field(Path("run/prod"), description="state of `make prod-up`")
    mlflow_tracking_uri: str = Field(
        "",
        validation_alias="MLFLOW_TRACKING_URI",
        description="another MLflow server",
        json_schema_extra=_shown("SQLite in the MLflow root"),
    )

    # What runs use unless a run config says otherwise.
    source: str | None = Field(
        None,
        description="the MNIST source: bundled, torchvision or idx",
        json_schema_extra=_shown("configs/data.yaml: bundled"),
    )
    monitoring_config: Path | None = Field(
        None, description="a YAML file overriding keys of configs/monitoring.yaml"
    )
    automation_run_config: Path | None = Field(
        None, description="run config (YAML or JSON) of the runs sensors and schedules request"
    )
    alert_webhook_url: str | None = Field(
        None, repr=False, description="where failed runs are POSTed"
    )

    # Servers and their addresses.
    bind_host: str = Field(
        "127.0.0.1",
        description="the address every server binds; beyond loopback a token (and for "
        "prod-up MLflow credentials) is required",
    )
    service_port: Port = Field(8000, description="the deployed prediction service (the gateway)")
    prometheus_port: Port = Field(9090, description="the deployment's Prometheus")
    dagster_port: Port = Field(3000, description="`make dev`'s Dagster UI")
    mlflow_port: Port = Field(5000, description="`make mlflow`'s tracking server and UI")
    review_port: Port = Field(8300, description="`make review`'s labelling page")
    grafana_port: Port = Field(3001, description="Grafana in deploy/docker-compose.yml")
    prod_postgres_port: Port = Field(5432, description="`make prod-up`'s Postgres")
    prod_code_server_port: Port = Field(4266, description="`make prod-up`'s code server")
    prod_mlflow_port: Port = Field(
        0, description="`make prod-up`'s MLflow", json_schema_extra=_shown("the MLflow port")
    )
    prod_webserver_port: Port = Field(
        0, description="`make prod-up`'s Dagster UI", json_schema_extra=_shown("the Dagster port")
    )
    service_url: str = Field(
        "", description="another deployed service", json_schema_extra=_shown("the service port")
    )
    prometheus_url: str = Field(
        "", description="another Prometheus", json_schema_extra=_shown("the Prometheus port")
    )
    mlflow_ui_url: str = Field(
        "",
        validation_alias="MLFLOW_UI_URL",
        description="the MLflow UI that links point to",
        json_schema_extra=_shown("the MLflow port"),
    )
    dagster_ui_url: str = Field(
        "",
        validation_alias="DAGSTER_UI_URL",
        description="the Dagster UI that links point to",
        json_schema_extra=_shown("the Dagster port"),
    )

    # The service.
    api_token: str | None = Field(
        None,
        repr=False,
        description="bearer token for every endpoint but health, metrics and docs; unset, "
        "predictions are open and /inputs/recent takes the review token",
    )
    review_token: str | None = Field(
        None,
        repr=False,
        description="the token of /inputs/recent without an API token (the deploy makes one "
        "per run folder, run/review-token, mode 0600)",
    )
    bento_model: str | None = Field(
        None,
        description="the stored model a bento built without one serves",
        json_schema_extra=_shown("the newest stored model"),
    )
    service_workers: Positive | None = Field(
        None,
        description="worker processes per bento; one single-threaded worker per core gives "
        "1.8x one worker's requests/s on 2 cores",
        json_schema_extra=_shown("one per core"),
    )
    max_body_bytes: Positive = Field(8 * MIB, description="the largest request body read")
    max_image_pixels: Positive = Field(
        1_000_000, description="pixels one uploaded image may declare; refused before decoding"
    )
    max_request_pixels: Positive = Field(
        16_000_000,
        description="pixels the images of one request may declare together (256 of 250x250)",
    )
    access_log: bool = Field(
        False,
        description="a log line per request; metrics count every request already, and at "
        "3,000 requests/s the lines are 2 GB an hour",
    )

    # The deployment.
    image_name: str = Field("mnist-service", description="repository name of service images")
    base_image: str | None = Field(
        None,
        description="base of the service images",
        json_schema_extra=_shown("Python slim, else a Debian base built here"),
    )
    log_max_bytes: Positive = Field(10 * MIB, description="size at which each log rotates")
    ready_timeout_s: Positive = Field(300, description="seconds a new slot has to get ready")
    keep_releases: int = Field(
        3, ge=0, description="bentos kept besides the live and rollback ones (with their images)"
    )

    @field_validator("state_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path.resolve()

    @field_validator(
        "data_root", "mlflow_root", "run_dir", "dagster_home", "bentoml_home", "prod_run_dir"
    )
    @classmethod
    def _in_state_folder(cls, path: Path, info: ValidationInfo) -> Path:
        state = info.data.get("state_dir")  # missing only when its own value was refused
        return path if path.is_absolute() or state is None else state / path

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _local_store(cls, uri: str, info: ValidationInfo) -> str:
        root = info.data.get("mlflow_root")
        return uri or (f"sqlite:///{root / 'mlflow.db'}" if root else "")

    @field_validator("prod_mlflow_port", "prod_webserver_port", mode="before")
    @classmethod
    def _prod_port(cls, port: Any, info: ValidationInfo) -> Any:
        default = "mlflow_port" if info.field_name == "prod_mlflow_port" else "dagster_port"
        return port or info.data.get(default, port)

    @field_validator("service_url", "prometheus_url", "mlflow_ui_url", "dagster_ui_url")
    @classmethod
    def _on_loopback(cls, url: str, info: ValidationInfo) -> str:
        port = {
            "service_url": "service_port",
            "prometheus_url": "prometheus_port",
            "mlflow_ui_url": "mlflow_port",
            "dagster_ui_url": "dagster_port",
        }[str(info.field_name)]
        if url or port not in info.data:
            return url.rstrip("/")
        return f"http://127.0.0.1:{info.data[port]}"

    @property
    def local_mlflow_store(self) -> str:
        """The project's own MLflow store, whatever MLFLOW_TRACKING_URI says."""
        return f"sqlite:///{self.mlflow_root / 'mlflow.db'}"

    @property
    def workers(self) -> int | str:
        """BentoML's ``workers`` argument: the count, or one per core."""
        return self.service_workers or "cpu_count"

    @property
    def prod_ports(self) -> dict[str, int]:
        """Ports of `make prod-up`'s servers by name."""
        return {
            "postgres": self.prod_postgres_port,
            "mlflow": self.prod_mlflow_port,
            "code_server": self.prod_code_server_port,
            "webserver": self.prod_webserver_port,
        }


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot take; the message names it."""


def settings() -> Settings:
    """The settings of this process's environment now."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            f"{variable(str(error['loc'][0]))}={error['input']!r}: {error['msg']}"
            for error in exc.errors()
        ]
        raise SettingError("; ".join(problems)) from None


def variable(name: str) -> str:
    """The environment variable of field ``name``."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else f"MNIST_{name.upper()}"
