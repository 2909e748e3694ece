"""MLflow through dagster-mlflow, with a fail-fast server check and a project-local store."""

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_mlflow import mlflow_tracking
from dagster_mlflow.resources import CONFIG_SCHEMA, MlFlow
from mlflow.entities import Run, RunStatus
from mlflow.tracking import MlflowClient

from mnist_assets.constants import MLFLOW_EXPERIMENT
from mnist_assets.env import git_commit
from mnist_assets.settings import settings


class TrackingServerUnavailable(RuntimeError):
    """The configured MLflow tracking server does not answer."""


def ensure_reachable(uri: str, timeout: float = 5.0) -> None:
    """Fail at once, naming the server, when an HTTP tracking server is down.

    MLflow's own client would retry with backoff for minutes before giving up.
    """
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):  # nosec B310
            pass
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackingServerUnavailable(
            f"MLflow tracking server {uri} is unreachable ({reason}). Start it with "
            "`make mlflow`, or point MLFLOW_TRACKING_URI at a running server."
        ) from exc


def ensure_local_experiment(uri: str, experiment: str, artifact_root: Path) -> None:
    """Create the experiment with its artifacts under the project when the store is local.

    Without this MLflow would put artifacts in ``./mlruns`` of whatever directory runs it.
    """
    if not uri.startswith("sqlite:"):
        return
    artifact_root.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(uri)
    if client.get_experiment_by_name(experiment) is None:
        client.create_experiment(experiment, artifact_location=artifact_root.as_uri())


@dg.resource(config_schema=CONFIG_SCHEMA, description="dagster-mlflow, checked before use.")
def checked_mlflow_tracking(init_context: dg.InitResourceContext) -> Iterator[MlFlow]:
    """dagster-mlflow's ``mlflow_tracking``, after the server check and experiment setup."""
    uri = init_context.resource_config["mlflow_tracking_uri"]
    ensure_reachable(uri)
    ensure_local_experiment(uri, init_context.resource_config["experiment_name"], artifact_root())
    yield from mlflow_tracking.resource_fn(init_context)


def artifact_root() -> Path:
    """Where the local store keeps run artifacts and logged models."""
    return settings().mlflow_root / "artifacts"


def mlflow_resource(tracking_uri: str | None = None) -> dg.ResourceDefinition:
    """The ``mlflow`` resource: experiment ``mnist``, the environment's tracking URI."""
    return checked_mlflow_tracking.configured(
        {
            "experiment_name": MLFLOW_EXPERIMENT,
            "mlflow_tracking_uri": tracking_uri or settings().mlflow_tracking_uri,
            "extra_tags": {"git_commit": git_commit()},
        }
    )


@contextmanager
def finished_run(mlflow: MlFlow) -> Iterator[Run]:
    """The MLflow run dagster-mlflow opened for this step, ended when the block ends.

    It ends FINISHED when the block completes and FAILED when anything escapes it (an
    interrupt too), so no run is left RUNNING and a failed training is recorded as one.
    """
    run = mlflow.active_run()
    try:
        yield run
    except BaseException:
        mlflow.end_run(status=RunStatus.to_string(RunStatus.FAILED))
        raise
    mlflow.end_run()
