"""The MLflow model registry behind one resource: read the champion, log reports, promote."""

import tempfile
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mnist_assets.constants import (
    CHAMPION_ALIAS,
    PREVIOUS_ALIAS,
    REGISTERED_MODEL_NAME,
    SERVING_ALIAS,
)
from mnist_assets.defs.training.tracking import ensure_reachable
from mnist_assets.ml.evaluation.validation import DRIFT_REFERENCE_FILE, Champion
from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets.ml.training.model import MnistCnn, load_checkpoint
from mnist_assets.ml.training.seen_digits import SEEN_FILE, load_seen
from mnist_assets.ml.training.trained import CHECKPOINT_FILE


class ModelRegistry(dg.ConfigurableResource):
    """Registered versions of one model in an MLflow tracking server or local store."""

    tracking_uri: str
    model_name: str = REGISTERED_MODEL_NAME

    def _client(self) -> MlflowClient:
        ensure_reachable(self.tracking_uri)
        return MlflowClient(self.tracking_uri)

    def version_with_alias(self, alias: str) -> ModelVersion | None:
        """The version holding ``alias``, or None when no version holds it (yet)."""
        return _found(lambda: self._client().get_model_version_by_alias(self.model_name, alias))

    def registered_version(self, version: str) -> ModelVersion | None:
        """Registered version ``version``, or None when there is no such version."""
        return _found(lambda: self._client().get_model_version(self.model_name, version))

    def load_version(self, version: ModelVersion) -> MnistCnn:
        """Rebuild a registered version from its run's checkpoint (weights only, no pickle)."""
        if version.run_id is None:
            raise LookupError(f"{self.model_name} v{version.version} has no MLflow run")
        with tempfile.TemporaryDirectory() as tmp:
            path = self._client().download_artifacts(version.run_id, CHECKPOINT_FILE, tmp)
            return load_checkpoint(Path(path))

    def seen_digits(self, version: ModelVersion) -> frozenset[str] | None:
        """The hashes of the digits ``version`` trained and chose its epoch on; None: unrecorded."""
        if version.run_id is None:
            return None
        client = self._client()
        if SEEN_FILE not in {item.path for item in client.list_artifacts(version.run_id)}:
            return None  # trained before models kept this record
        with tempfile.TemporaryDirectory() as tmp:
            return load_seen(Path(client.download_artifacts(version.run_id, SEEN_FILE, tmp)))

    def champion(self) -> Champion | None:
        """The champion, rebuilt, with the digits it saw; None while there is no champion."""
        version = self.version_with_alias(CHAMPION_ALIAS)
        if version is None:
            return None
        return Champion(str(version.version), self.load_version(version), self.seen_digits(version))

    def champion_recipe(self) -> tuple[str, str, dict[str, str]] | None:
        """The champion's version, the data version it trained on and its training params."""
        version = self.version_with_alias(CHAMPION_ALIAS)
        if version is None or version.run_id is None:
            return None
        run = self._client().get_run(version.run_id)
        return str(version.version), run.data.tags.get("data_version", ""), dict(run.data.params)

    def champion_drift_reference(self) -> BatchStatistics | None:
        """The drift reference of the version serving (else the champion's); None: neither."""
        version = self.version_with_alias(SERVING_ALIAS) or self.version_with_alias(CHAMPION_ALIAS)
        if version is None or version.run_id is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            path = self._client().download_artifacts(
                version.run_id, f"validation/{DRIFT_REFERENCE_FILE}", tmp
            )
            return BatchStatistics.load(Path(path))

    def log_to_run(
        self, run_id: str, directory: Path, metrics: dict[str, float], under: str = "validation"
    ) -> None:
        """Attach a folder of files (under ``under/``) and metrics to a finished run."""
        client = self._client()
        client.log_artifacts(run_id, str(directory), artifact_path=under)
        for name, value in metrics.items():
            client.log_metric(run_id, name, value)

    def promote(self, version: str) -> str | None:
        """Make ``version`` the champion; the one it replaces becomes ``previous``.

        Returns the replaced version (None for the first champion, or when it already was).
        """
        client = self._client()
        current = self.version_with_alias(CHAMPION_ALIAS)
        replaced = None
        if current is not None and str(current.version) != str(version):
            client.set_registered_model_alias(self.model_name, PREVIOUS_ALIAS, current.version)
            replaced = str(current.version)
        client.set_registered_model_alias(self.model_name, CHAMPION_ALIAS, version)
        return replaced

    def mark_serving(self, version: str) -> None:
        """``version`` serves now: the gateway routes to it."""
        self._client().set_registered_model_alias(self.model_name, SERVING_ALIAS, version)

    def roll_back_to(self, version: str) -> list[str]:
        """``version`` serves again and is champion; what it replaces is tagged rolled_back.

        The version that served and the champion (when a later one passed the gate but never
        served) both lose their aliases to ``version``; returns them, oldest first.
        """
        client = self._client()
        left = {
            str(held.version)
            for alias in (SERVING_ALIAS, CHAMPION_ALIAS)
            if (held := self.version_with_alias(alias)) is not None
        } - {str(version)}
        for alias in (SERVING_ALIAS, CHAMPION_ALIAS):
            client.set_registered_model_alias(self.model_name, alias, version)
        previous = self.version_with_alias(PREVIOUS_ALIAS)
        if previous is not None and str(previous.version) == str(version):
            client.delete_registered_model_alias(self.model_name, PREVIOUS_ALIAS)
        for replaced in left:
            client.set_model_version_tag(self.model_name, replaced, "rolled_back", "true")
        return sorted(left, key=int)


def _found(lookup: Callable[[], ModelVersion]) -> ModelVersion | None:
    """What ``lookup`` returns, or None where MLflow says there is no such version or alias."""
    try:
        return lookup()
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise
