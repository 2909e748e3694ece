"""The champion in BentoML's model store: checkpoint, drift reference and the served variant."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import bentoml

from mnist_assets.constants import BENTO_MODEL_NAME
from mnist_assets.ml.inference.predictors import OnnxPredictor, Predictor, TorchPredictor
from mnist_assets.serving.schemas import ModelInfo

if TYPE_CHECKING:
    from mnist_assets.ml.training.model import MnistCnn

CHECKPOINT = "model.pt"
DRIFT_REFERENCE = "drift_reference.json"
ONNX_MODEL = "model.onnx"  # present when an ONNX variant serves instead of the checkpoint
RUNTIME_LABEL = "runtime"
# Together these identify what a stored model serves: saving it again reuses the first tag.
IDENTITY = ("model_version", "mlflow_run_id", RUNTIME_LABEL)


def save_champion(
    checkpoint: Path,
    drift_reference: Path,
    labels: dict[str, str],
    metadata: dict[str, float],
    onnx: tuple[str, bytes] | None = None,
) -> str:
    """Store the files under a new tag, or return the tag already holding the same model.

    ``labels`` must include ``model_version`` and ``mlflow_run_id``; ``onnx`` is the runtime
    name and file of the variant to serve (None: eager PyTorch).
    """
    labels = {**labels, RUNTIME_LABEL: onnx[0] if onnx else TorchPredictor.runtime}
    for existing in _stored_models():
        if all(existing.info.labels.get(k) == labels[k] for k in IDENTITY):
            return str(existing.tag)
    with bentoml.models.create(BENTO_MODEL_NAME, labels=labels, metadata=metadata) as model:
        shutil.copy(checkpoint, Path(model.path) / CHECKPOINT)
        shutil.copy(drift_reference, Path(model.path) / DRIFT_REFERENCE)
        if onnx:
            (Path(model.path) / ONNX_MODEL).write_bytes(onnx[1])
    return str(model.tag)


def _stored_models() -> list[bentoml.Model]:
    try:
        return list(bentoml.models.list(BENTO_MODEL_NAME))
    except bentoml.exceptions.NotFound:
        return []


def load_model(model_path: str | Path) -> MnistCnn:
    """The network from a stored model's folder, rebuilt with ``weights_only=True``."""
    from mnist_assets.ml.training.model import (
        load_checkpoint,  # PyTorch: only for the eager network
    )

    return load_checkpoint(Path(model_path) / CHECKPOINT)


def load_predictor(model: bentoml.Model) -> Predictor:
    """What serves a stored model: its ONNX variant when it has one, else the eager network."""
    onnx = Path(model.path) / ONNX_MODEL
    if onnx.exists():
        return OnnxPredictor(onnx, model.info.labels.get(RUNTIME_LABEL, OnnxPredictor.runtime))
    return TorchPredictor(load_model(model.path))


def model_info(model: bentoml.Model, runtime: str) -> ModelInfo:
    """What ``/model/info`` says of a stored model: its tag, lineage labels and test accuracy."""
    labels, accuracy = model.info.labels, model.info.metadata.get("test_accuracy", 0.0)
    return ModelInfo(
        bento_model=str(model.tag),
        model_version=labels.get("model_version", ""),
        mlflow_run_id=labels.get("mlflow_run_id", ""),
        data_version=labels.get("data_version", ""),
        git_commit=labels.get("git_commit", ""),
        test_accuracy=float(accuracy) if isinstance(accuracy, int | float | str) else 0.0,
        runtime=runtime,
    )
