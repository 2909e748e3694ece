"""The champion in BentoML's model store: checkpoint and drift reference, with lineage labels."""

import shutil
from pathlib import Path

import bentoml

from mnist_assets.constants import BENTO_MODEL_NAME
from mnist_assets.ml.model import MnistCnn, load_checkpoint

CHECKPOINT = "model.pt"
DRIFT_REFERENCE = "drift_reference.json"


def save_champion(
    checkpoint: Path, drift_reference: Path, labels: dict[str, str], metadata: dict[str, float]
) -> str:
    """Store the files under a new tag, or return the tag already holding this model version.

    ``labels`` must include ``model_version`` and ``mlflow_run_id``: together they identify a
    model, so saving the same champion twice reuses the first tag.
    """
    for existing in _stored_models():
        same = all(
            existing.info.labels.get(k) == labels[k] for k in ("model_version", "mlflow_run_id")
        )
        if same:
            return str(existing.tag)
    with bentoml.models.create(BENTO_MODEL_NAME, labels=labels, metadata=metadata) as model:
        shutil.copy(checkpoint, Path(model.path) / CHECKPOINT)
        shutil.copy(drift_reference, Path(model.path) / DRIFT_REFERENCE)
    return str(model.tag)


def _stored_models() -> list[bentoml.Model]:
    try:
        return list(bentoml.models.list(BENTO_MODEL_NAME))
    except bentoml.exceptions.NotFound:
        return []


def load_model(model_path: str | Path) -> MnistCnn:
    """The network from a stored model's folder, rebuilt with ``weights_only=True``."""
    return load_checkpoint(Path(model_path) / CHECKPOINT)
