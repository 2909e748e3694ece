"""The model that passed the gate, with what serving it needs: what ``mnist_champion`` hands on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.ml.evaluation.validation import DRIFT_REFERENCE_FILE
from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets.ml.training.trained import TrainedModel

FIGURES_FILE = "champion.json"


@dataclass(frozen=True)
class PromotedModel:
    """The promoted network and its record, its test accuracy and its drift reference."""

    trained: TrainedModel
    test_accuracy: float
    drift_reference: BatchStatistics

    @property
    def version(self) -> str:
        return self.trained.record.model_version

    def save(self, directory: Path) -> None:
        self.trained.save(directory)
        self.drift_reference.save(directory / DRIFT_REFERENCE_FILE)
        (directory / FIGURES_FILE).write_text(json.dumps({"test_accuracy": self.test_accuracy}))

    @classmethod
    def load(cls, directory: Path) -> PromotedModel:
        figures = json.loads((directory / FIGURES_FILE).read_text())
        return cls(
            trained=TrainedModel.load(directory),
            test_accuracy=float(figures["test_accuracy"]),
            drift_reference=BatchStatistics.load(directory / DRIFT_REFERENCE_FILE),
        )
