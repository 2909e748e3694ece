"""What a training run records in MLflow: params, curves, artifacts, the registered model."""

import base64
import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import torch
import yaml
from mlflow.models import infer_signature

from mnist_assets.ml.training.fit import EpochStats, FitResult
from mnist_assets.ml.training.model import MnistCnn, save_checkpoint
from mnist_assets.ml.training.plots import plot_training_curve
from mnist_assets.ml.training.seen_digits import SEEN_FILE, save_seen

CURVE_FILE = "training_curve.png"


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, the shape MLflow params take."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def log_epoch(stats: EpochStats) -> None:
    """One epoch's figures, at step = epoch number."""
    mlflow.log_metrics(
        {
            "train_loss": stats.train_loss,
            "train_accuracy": stats.train_accuracy,
            "val_loss": stats.val_loss,
            "val_accuracy": stats.val_accuracy,
            "learning_rate": stats.lr,
            "epoch_seconds": stats.seconds,
        },
        step=stats.epoch,
    )


def log_result_and_artifacts(
    result: FitResult, config: dict[str, Any], seen: frozenset[str]
) -> str:
    """Log summary metrics and the checkpoint, curve, config and seen digits as artifacts.

    ``seen`` (the hashes of the train and validation images) lets a later gate leave the
    digits this model saw out of its comparison with another.

    Returns the training-curve PNG as base64, for the asset's metadata.
    """
    best = result.history[result.best_epoch - 1]
    mlflow.log_metrics(
        {
            "best_epoch": result.best_epoch,
            "best_val_accuracy": best.val_accuracy,
            "best_val_loss": best.val_loss,
            "train_seconds": result.train_seconds,
            "images_per_second": result.images_per_second,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save_checkpoint(folder / "model.pt", result.model)
        plot_training_curve(result.history, folder / CURVE_FILE)
        (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        save_seen(folder / SEEN_FILE, seen)
        mlflow.log_artifacts(str(folder))
        return base64.b64encode((folder / CURVE_FILE).read_bytes()).decode()


def log_and_register_model(model: MnistCnn, registered_name: str) -> str:
    """Log the model with signature and input example, register it; returns the new version."""
    # Two images, not one: MLflow saves the model with torch.export, which would fix a batch
    # size of 1 into the graph and then refuse every other batch size.
    example = np.zeros((2, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        output = model(torch.from_numpy(example)).numpy()
    # MLflow's registry announces each registration with a bare print to stderr (not logging);
    # the asset's metadata says which version was registered, so that line is kept out.
    with contextlib.redirect_stderr(io.StringIO()):
        info = mlflow.pytorch.log_model(
            model,
            name="model",
            signature=infer_signature(example, output),
            input_example=example,
            registered_model_name=registered_name,
            # Listing requirements skips MLflow's slow inference of them in a subprocess.
            pip_requirements=[
                f"torch=={torch.__version__.split('+')[0]}",
                f"mlflow=={mlflow.__version__}",
            ],
        )
    return str(info.registered_model_version)
