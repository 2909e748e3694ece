"""No automation retrains what the champion already is: the same data, the same configuration."""

from typing import Any

import dagster as dg

from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.defs.training.mlflow_logging import flatten

SPLITS = dg.AssetKey("mnist_splits")


def repeats_the_champion(
    instance: dg.DagsterInstance, registry: ModelRegistry, run_config: dict[str, Any]
) -> str | None:
    """Why a retraining run with ``run_config`` would repeat the champion's, or None.

    The champion's MLflow run records the data version of the splits it trained on and its
    params; a run on the same splits with the same params learns nothing new.
    """
    recipe = registry.champion_recipe()
    event = instance.get_latest_materialization_event(SPLITS)
    if recipe is None or event is None or event.asset_materialization is None:
        return None
    version, trained_on, params = recipe
    current = (event.asset_materialization.tags or {}).get("dagster/data_version")
    config = run_config.get("ops", {}).get("mnist_cnn", {}).get("config", {})
    wanted = {k: str(v) for k, v in flatten(TrainingRunConfig(**config).model_dump()).items()}
    if current != trained_on or wanted != params:
        return None
    return (
        f"champion v{version} was trained on these splits ({trained_on[:12]}) with this "
        "configuration: retraining would repeat it"
    )
