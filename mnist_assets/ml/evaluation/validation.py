"""The validation report: everything known about a candidate model before it may ship."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.evaluation.behaviour import Behaviour, probe_behaviour
from mnist_assets.ml.evaluation.metrics import ClassificationMetrics, classification_metrics
from mnist_assets.ml.inference.batched import Latency, measure_latency, predict_probabilities
from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets.ml.training.model import to_pixels
from mnist_assets.ml.training.seen_digits import seen_hashes, unseen_mask

REPORT_FILE = "report.json"
DRIFT_REFERENCE_FILE = "drift_reference.json"
CONFUSION_FILE = "confusion_matrix.png"


@dataclass(frozen=True)
class GateThresholds:
    """Limits a candidate must meet to be promoted; fractions, not percentages.

    Defaults: mnist_assets/configs/training.yaml, section ``validation``.
    """

    min_accuracy: float  # on the held-out test split
    min_class_recall: float  # every digit, so no class is quietly sacrificed
    regression_alpha: float  # no_regression blocks a candidate worse at this significance
    min_compared_digits: int  # no_regression refuses to decide on fewer test digits both never saw
    max_shift_flip_rate: float  # behaviour (warning only): one-pixel shifts
    max_ood_confidence: float  # behaviour (warning only): blank and noise images


@dataclass(frozen=True)
class ChampionComparison:
    """The registered champion and the candidate, digit by digit on the test digits neither saw.

    Test digits the champion trained or chose its epoch on are left out (``excluded``): it would
    know them by heart, and the comparison would favour it.
    """

    version: str
    accuracy: float  # the champion's, on the compared digits
    champion_only: int  # compared digits the champion gets right and the candidate wrong
    candidate_only: int  # compared digits the candidate gets right and the champion wrong
    examples: int  # test digits compared
    excluded: int = 0  # test digits left out: a model saw them (older reports: 0)
    recorded: bool = True  # False: the champion kept no record of what it saw, all were excluded

    @classmethod
    def paired(
        cls,
        version: str,
        champion_right: np.ndarray,
        candidate_right: np.ndarray,
        unseen: np.ndarray | None = None,
        recorded: bool = True,
    ) -> ChampionComparison:
        """From boolean arrays: each test digit right by each model, and whether neither saw it."""
        if unseen is None:
            unseen = np.ones(len(champion_right), dtype=bool)
        champion_right, candidate_right = champion_right[unseen], candidate_right[unseen]
        return cls(
            version=version,
            accuracy=float(champion_right.mean()) if len(champion_right) else 0.0,
            champion_only=int((champion_right & ~candidate_right).sum()),
            candidate_only=int((candidate_right & ~champion_right).sum()),
            examples=int(unseen.sum()),
            excluded=int((~unseen).sum()),
            recorded=recorded,
        )


@dataclass(frozen=True)
class Champion:
    """The model the candidate must not be worse than, and the digits it saw (None: unknown)."""

    version: str
    model: torch.nn.Module
    seen: frozenset[str] | None


@dataclass(frozen=True)
class ValidationReport:
    """Test-split metrics, behaviour, latency, the champion's score and the drift reference."""

    model_version: str
    mlflow_run_id: str
    data_version: str
    metrics: ClassificationMetrics
    behaviour: Behaviour
    latency: Latency
    champion: ChampionComparison | None
    thresholds: GateThresholds
    drift_reference: BatchStatistics

    def to_dict(self) -> dict[str, Any]:
        report = asdict(self)
        report.pop("drift_reference")  # saved on its own: the service and sensors read it
        return report

    def save(self, directory: Path) -> None:
        from mnist_assets.ml.training.plots import plot_confusion_matrix

        directory.mkdir(parents=True, exist_ok=True)
        (directory / REPORT_FILE).write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        self.drift_reference.save(directory / DRIFT_REFERENCE_FILE)
        plot_confusion_matrix(np.array(self.metrics.confusion), directory / CONFUSION_FILE)

    @classmethod
    def load(cls, directory: Path) -> ValidationReport:
        raw = json.loads((directory / REPORT_FILE).read_text())
        champion = raw["champion"]
        return cls(
            model_version=raw["model_version"],
            mlflow_run_id=raw["mlflow_run_id"],
            data_version=raw["data_version"],
            metrics=ClassificationMetrics(**raw["metrics"]),
            behaviour=Behaviour(**raw["behaviour"]),
            latency=Latency(**raw["latency"]),
            champion=None if champion is None else ChampionComparison(**champion),
            # Reports written before the minimum existed decided on every digit they had.
            thresholds=GateThresholds(**{"min_compared_digits": 0, **raw["thresholds"]}),
            drift_reference=BatchStatistics.load(directory / DRIFT_REFERENCE_FILE),
        )


def right_on_test(model: torch.nn.Module, splits: MnistSplits) -> np.ndarray:
    """For each test digit, whether ``model`` predicts it right (``bool [N]``)."""
    probabilities = predict_probabilities(model, to_pixels(torch.from_numpy(splits.test.images)))
    right: np.ndarray = probabilities.argmax(1) == splits.test.labels
    return right


def drift_reference(model: torch.nn.Module, splits: MnistSplits) -> BatchStatistics:
    """Image statistics and classes of the training split, confidences on validation data."""
    val_probabilities = predict_probabilities(model, to_pixels(torch.from_numpy(splits.val.images)))
    return BatchStatistics.from_images(
        splits.train.images.astype(np.float32) / 255.0,
        classes=splits.train.labels,
        confidences=val_probabilities.max(1),
    )


def validate(
    model: torch.nn.Module,
    splits: MnistSplits,
    *,
    model_version: str,
    mlflow_run_id: str,
    champion: Champion | None,
    thresholds: GateThresholds,
    candidate_seen: frozenset[str] | None = None,
) -> ValidationReport:
    """Evaluate ``model`` on the test split and build the full report.

    ``champion`` is scored on the test digits that neither it nor the candidate saw, for the
    paired no-regression check; what the candidate saw is ``candidate_seen``, by default the
    train and validation splits of ``splits`` (a model trained on them).
    """
    pixels = to_pixels(torch.from_numpy(splits.test.images))
    probabilities = predict_probabilities(model, pixels)
    comparison = None
    if champion is not None:
        right = probabilities.argmax(1) == splits.test.labels
        if champion.seen is None:
            unseen = np.zeros(len(right), dtype=bool)
        else:
            own = seen_hashes(splits) if candidate_seen is None else candidate_seen
            unseen = unseen_mask(splits.test.images, champion.seen, own)
        comparison = ChampionComparison.paired(
            champion.version,
            right_on_test(champion.model, splits),
            right,
            unseen,
            recorded=champion.seen is not None,
        )
    return ValidationReport(
        model_version=model_version,
        mlflow_run_id=mlflow_run_id,
        data_version=splits.content_hash(),
        metrics=classification_metrics(splits.test.labels, probabilities),
        behaviour=probe_behaviour(model, pixels),
        latency=measure_latency(model, pixels),
        champion=comparison,
        thresholds=thresholds,
        drift_reference=drift_reference(model, splits),
    )
