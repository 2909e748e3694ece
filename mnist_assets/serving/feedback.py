"""Ground truth sent back for predictions: recorded once, counted, and turned into live accuracy.

``POST /feedback`` names a prediction by its id (:mod:`mnist_assets.serving.prediction_log`)
and gives its true digit. Any worker may take it: the label is written into the ring slot of the
worker that predicted, and the labelled input joins the server's feedback log, a ring of the
last ``accuracy_window`` labelled predictions shared by every worker. Live accuracy is the share
of that log the model got right. One lock file serialises labelling across workers, so a second
label for the same id is refused whichever worker each arrives at.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_assets.serving.prediction_log import SIDE, UNLABELLED, open_record

ENTRY = np.dtype([("digit", np.int8), ("label", np.int8), ("pixels", np.uint8, (SIDE, SIDE))])
LOG, COUNT, LOCK = "feedback.npy", "feedback.count.npy", "feedback.lock"


class UnknownPrediction(LookupError):
    """No kept prediction has this id (never made, expired, or overwritten)."""


class AlreadyLabelled(ValueError):
    """The prediction has a label already."""


@dataclass(frozen=True)
class Outcome:
    """What one label showed, and the live accuracy it leaves."""

    correct: bool
    accuracy: float  # over the log's labelled predictions
    labelled: int  # how many the log holds (at most its window)


@dataclass(frozen=True)
class Labelled:
    """The logged labelled predictions, oldest first."""

    images: np.ndarray  # uint8 [N, 28, 28]
    labels: np.ndarray  # the true digits
    digits: np.ndarray  # what the model predicted


@dataclass(frozen=True)
class FeedbackBook:
    """The server folder's feedback.

    Ids take a label for ``window_seconds``; live accuracy is over the last ``accuracy_window``.
    """

    folder: Path
    window_seconds: float
    accuracy_window: int

    def record(self, prediction_id: str, label: int) -> Outcome:
        """Record ``label`` as the truth of ``prediction_id``.

        Raises UnknownPrediction or AlreadyLabelled.
        """
        with self._locked():
            record = open_record(self.folder, prediction_id, self.window_seconds)
            if record is None:
                raise UnknownPrediction(
                    f"no prediction {prediction_id!r} is kept: ids are valid for "
                    f"{self.window_seconds / 60:g} minutes while the service keeps them"
                )
            if int(record["label"][0]) != UNLABELLED:
                raise AlreadyLabelled(
                    f"prediction {prediction_id!r} was labelled {int(record['label'][0])} already"
                )
            record["label"][0] = label
            log, count = self._log()
            log[int(count[0]) % len(log)] = (record["digit"][0], label, record["pixels"][0])
            count[0] += 1
            held = log[: min(int(count[0]), len(log))]
            accuracy = float((held["digit"] == held["label"]).mean())
            return Outcome(int(record["digit"][0]) == label, accuracy, len(held))

    def labelled(self) -> Labelled:
        """Every logged labelled prediction, oldest first."""
        with self._locked():
            if not (self.folder / COUNT).is_file():
                entries = np.zeros(0, dtype=ENTRY)
            else:
                log, count = self._log()
                seen = int(count[0])
                order = np.arange(max(0, seen - len(log)), seen) % len(log)
                entries = np.array(log[order])
        return Labelled(entries["pixels"], entries["label"], entries["digit"])

    def _log(self) -> tuple[np.ndarray, np.ndarray]:
        """The shared log and its count, created by the first label (call under the lock)."""
        count_path = self.folder / COUNT
        if not count_path.is_file():
            np.lib.format.open_memmap(
                self.folder / LOG, mode="w+", dtype=ENTRY, shape=(self.accuracy_window,)
            ).flush()
            np.lib.format.open_memmap(count_path, mode="w+", dtype=np.int64, shape=(1,)).flush()
        log = np.load(self.folder / LOG, mmap_mode="r+")
        return log, np.load(count_path, mmap_mode="r+")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
