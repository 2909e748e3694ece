"""No automation retrains what the champion already is: the same data, the same configuration."""

from typing import Any

import dagster as dg

from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.defs.training.mlflow_logging import flatten

SPLITS = dg.AssetKey("mnist_splits")


def no_new_labels(instance: dg.DagsterInstance, registry: ModelRegistry) -> str | None:
    """Why no labelled data arrived since the champion was trained, or None when some did.

    The champion's MLflow run records the data version of the splits it trained on; while the
    latest splits have that version, no new labelled example exists to learn from.
    """
    recipe = registry.champion_recipe()
    event = instance.get_latest_materialization_event(SPLITS)
    if recipe is None or event is None or event.asset_materialization is None:
        return None
    version, trained_on, _ = recipe
    if (event.asset_materialization.tags or {}).get("dagster/data_version") != trained_on:
        return None
    return f"champion v{version} was trained on the current splits ({trained_on[:12]})"


def repeats_the_champion(
    instance: dg.DagsterInstance, registry: ModelRegistry, run_config: dict[str, Any]
) -> str | None:
    """Why a retraining run with ``run_config`` would repeat the champion's, or None.

    A run on the splits the champion trained on, with the params its MLflow run recorded,
    learns nothing new.
    """
    same_data = no_new_labels(instance, registry)
    recipe = registry.champion_recipe()
    if same_data is None or recipe is None:
        return None
    config = run_config.get("ops", {}).get("mnist_cnn", {}).get("config", {})
    wanted = {k: str(v) for k, v in flatten(TrainingRunConfig(**config).model_dump()).items()}
    if wanted != recipe[2]:
        return None
    return f"{same_data} with this configuration: retraining would repeat it"
