"""The service's two answers about labels: what to label, and a label coming back.

``GET /inputs/recent`` hands the drift sensor the recent traffic and the inputs feedback
labelled; ``POST /feedback`` records a true label. Both read the files every worker of the
server shares (:mod:`prediction_log`, :mod:`feedback`), so any worker answers for all.
"""

from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import bentoml

from mnist_assets import env
from mnist_assets.serving import metrics
from mnist_assets.serving.feedback import AlreadyLabelled, FeedbackBook, UnknownPrediction
from mnist_assets.serving.prediction_log import PredictionRing, read_recent, server_folder
from mnist_assets.serving.schemas import FeedbackAnswer, LabelledInputs, RecentInputs


class LabelConflict(bentoml.exceptions.BentoMLException):
    """A second label for one prediction: answered 409."""

    error_code = HTTPStatus.CONFLICT


@dataclass(frozen=True)
class Labelling:
    """One worker's part: its ring of predictions, and the server's feedback book."""

    ring: PredictionRing
    book: FeedbackBook

    @classmethod
    def start(cls, base: Path, worker: int) -> "Labelling":
        """The worker's ring in its server's folder under ``base`` (monitoring.yaml, feedback)."""
        settings, folder = env.monitoring_settings()["feedback"], server_folder(base)
        ring = PredictionRing(folder, worker, settings["capacity"])
        window = settings["window_minutes"] * 60
        return cls(ring, FeedbackBook(folder, window, settings["accuracy_window"]))

    def recent(self) -> RecentInputs:
        """Every worker's newest inputs (review.recent of each) and what feedback labelled."""
        return recent_inputs(self.book, env.monitoring_settings()["review"]["recent"])

    def record(self, prediction_id: str, label: int) -> FeedbackAnswer:
        return record_feedback(self.book, prediction_id, label)


def recent_inputs(book: FeedbackBook, per_worker: int) -> RecentInputs:
    """The newest ``per_worker`` inputs of every worker, and every input feedback labelled."""
    recent = read_recent(book.folder, per_worker)
    labelled = book.labelled()
    return RecentInputs(
        images=recent.images.tolist(),
        digits=recent.digits.tolist(),
        confidences=recent.confidences.tolist(),
        workers=recent.workers,
        labelled=LabelledInputs(
            images=labelled.images.tolist(),
            labels=labelled.labels.tolist(),
            digits=labelled.digits.tolist(),
        ),
    )


def record_feedback(book: FeedbackBook, prediction_id: str, label: int) -> FeedbackAnswer:
    """Record the true ``label`` of a prediction: 404 when its id is gone, 409 the second time."""
    try:
        outcome = book.record(prediction_id, label)
    except UnknownPrediction as exc:
        raise bentoml.exceptions.NotFound(str(exc)) from exc
    except AlreadyLabelled as exc:
        raise LabelConflict(str(exc)) from exc
    metrics.observe_feedback(outcome)
    return FeedbackAnswer(
        correct=outcome.correct, live_accuracy=outcome.accuracy, labelled=outcome.labelled
    )
