"""No sensor or schedule retrains the champion's own data with the champion's own settings."""

from pathlib import Path

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.defs.automation.repeat_rule import repeats_the_champion
from mnist_assets.defs.automation.schedules import weekly_retraining
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.defs.training.mlflow_logging import flatten


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelRegistry:
    """A champion trained with the default settings on splits of data version ``abc``."""
    monkeypatch.delenv("MNIST_AUTOMATION_RUN_CONFIG", raising=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("mnist", artifact_location=str(tmp_path / "artifacts"))
    run = client.create_run(experiment, tags={"data_version": "abc"})
    for name, value in flatten(TrainingRunConfig().model_dump()).items():
        client.log_param(run.info.run_id, name, value)
    client.create_registered_model(REGISTERED_MODEL_NAME)
    version = client.create_model_version(REGISTERED_MODEL_NAME, "runs:/x/model", run.info.run_id)
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, version.version)
    return ModelRegistry(tracking_uri=uri)


def _splits_version(instance: dg.DagsterInstance, version: str) -> None:
    materialization = dg.AssetMaterialization(
        "mnist_splits", tags={"dagster/data_version": version}
    )
    instance.report_runless_asset_event(materialization)


def _weekly(instance: dg.DagsterInstance, registry: ModelRegistry):
    with dg.build_schedule_context(
        instance=instance, resources={"model_registry": registry}
    ) as context:
        return weekly_retraining.evaluate_tick(context)


def test_the_same_splits_and_settings_repeat_the_champion(registry: ModelRegistry) -> None:
    with dg.instance_for_test() as instance:
        _splits_version(instance, "abc")
        reason = repeats_the_champion(instance, registry, {})
        assert reason is not None and "champion v1 was trained on the current splits" in reason
        tick = _weekly(instance, registry)
        assert not tick.run_requests and "retraining would repeat it" in tick.skip_message


@pytest.mark.parametrize(
    ("splits", "config"),
    [
        ("def", {}),  # new data: the splits moved
        ("abc", {"ops": {"mnist_cnn": {"config": {"training": {"epochs": 5}}}}}),  # new settings
    ],
)
def test_new_data_or_new_settings_are_retrained_on(
    registry: ModelRegistry, splits: str, config: dict
) -> None:
    with dg.instance_for_test() as instance:
        _splits_version(instance, splits)
        assert repeats_the_champion(instance, registry, config) is None


def test_the_weekly_schedule_retrains_on_new_data(registry: ModelRegistry) -> None:
    with dg.instance_for_test() as instance:
        _splits_version(instance, "def")
        (request,) = _weekly(instance, registry).run_requests
        assert request.run_config == {}  # the defaults (no MNIST_AUTOMATION_RUN_CONFIG)
