"""A trained model together with where it was recorded: what ``mnist_cnn`` hands downstream."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from mnist_assets.ml.training.model import MnistCnn, load_checkpoint, save_checkpoint

CHECKPOINT_FILE = "model.pt"
RECORD_FILE = "training.json"


@dataclass(frozen=True)
class TrainingRecord:
    """Where a model was tracked and registered, and what it was trained on."""

    mlflow_run_id: str
    registered_model: str
    model_version: str
    data_version: str
    val_accuracy: float
    git_commit: str = ""  # of the code that trained it (records written before: unknown)


@dataclass(frozen=True)
class TrainedModel:
    """The network (eval mode, CPU) and its record; stored as a checkpoint plus JSON."""

    model: MnistCnn
    record: TrainingRecord

    def save(self, directory: Path) -> None:
        save_checkpoint(directory / CHECKPOINT_FILE, self.model)
        (directory / RECORD_FILE).write_text(json.dumps(asdict(self.record), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> TrainedModel:
        record = TrainingRecord(**json.loads((directory / RECORD_FILE).read_text()))
        return cls(load_checkpoint(directory / CHECKPOINT_FILE), record)
