"""A drift episode on disk: what was saved, what a person labelled, and the batch it became.

``<review folder>/<episode>/`` holds ``unlabelled/*.png``, ``episode.json`` (the record the
drift sensor wrote), ``labels.json`` (each label a person set, saved as they set it) and, once
sent, ``sent.json`` (the batch written into the incoming folder and its content hash, which
the new-data sensor's run is tagged with). Every file is written under a hidden name and
renamed, so a crash never leaves half of one.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mnist_assets.deploy.files import write_atomically
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.ingestion.batch_store import save_batch

NOT_A_DIGIT = "x"
Label = int | str  # 0-9, or NOT_A_DIGIT


class LabelError(ValueError):
    """A label or input the episode cannot take; the message says why."""


@dataclass(frozen=True)
class EpisodeInput:
    """One saved input: its file, the model's guess and, when feedback sent one, a label."""

    file: str
    guess: int | None
    confidence: float | None  # None for inputs labelled through feedback
    feedback: int | None = None  # the label POST /feedback recorded, proposed for confirmation


@dataclass(frozen=True)
class EpisodeRecord:
    """What the drift sensor recorded about the episode."""

    created: float  # Unix time
    drift_score: float | None = None
    threshold: float | None = None
    window: str = ""
    live_accuracy: float | None = None
    live_labels: int | None = None
    inputs: tuple[EpisodeInput, ...] = field(default=())

    def with_inputs(self, inputs: list[EpisodeInput]) -> EpisodeRecord:
        return replace(self, inputs=tuple(inputs))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EpisodeRecord:
        inputs = tuple(EpisodeInput(**item) for item in data.get("inputs", []))
        return cls(**{**data, "inputs": inputs})


@dataclass(frozen=True)
class Sent:
    """The batch an episode became."""

    batch: str  # its name in the incoming folder
    digest: str  # its content hash: the accepted batch's name and the retraining run's tag
    count: int
    sent: float


@dataclass(frozen=True)
class Episode:
    """One episode's folder."""

    folder: Path

    @property
    def name(self) -> str:
        return self.folder.name

    def record(self) -> EpisodeRecord:
        """The sensor's record; for an episode saved without one, its files and nothing more."""
        path = self.folder / "episode.json"
        if path.is_file():
            return EpisodeRecord.from_json(json.loads(path.read_text()))
        files = sorted(p.name for p in (self.folder / "unlabelled").glob("[!.]*.png"))
        inputs = tuple(EpisodeInput(name, None, None) for name in files)
        return EpisodeRecord(created=self.folder.stat().st_mtime, inputs=inputs)

    def labels(self) -> dict[str, Label]:
        path = self.folder / "labels.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def set_label(self, file: str, label: Label | None) -> dict[str, Label]:
        """Set (or with None clear) the label of ``file``; the labels now."""
        if self.sent() is not None:
            raise LabelError(f"{self.name} was sent for training already")
        if file not in {entry.file for entry in self.record().inputs}:
            raise LabelError(f"{self.name} has no input {file!r}")
        if label is not None and label != NOT_A_DIGIT and label not in range(10):
            raise LabelError(f"{label!r} is no label: a digit 0-9, or {NOT_A_DIGIT!r}")
        labels = self.labels()
        if label is None:
            labels.pop(file, None)
        else:
            labels[file] = label
        write_json(self.folder / "labels.json", labels)
        return labels

    def sent(self) -> Sent | None:
        path = self.folder / "sent.json"
        return Sent(**json.loads(path.read_text())) if path.is_file() else None

    def send(self, incoming: Path) -> Sent:
        """Write the inputs labelled with a digit as one ``.npz`` batch into ``incoming``.

        Written under a hidden name and renamed, so the new-data sensor never reads half of it;
        repeated inputs are sent once. The episode is marked sent.
        """
        if (done := self.sent()) is not None:
            return done
        digits = {f: v for f, v in self.labels().items() if v != NOT_A_DIGIT}
        if not digits:
            raise LabelError(f"{self.name}: label at least one input with a digit first")
        images, labels, seen = [], [], set()
        for file in sorted(digits):
            pixels = np.asarray(Image.open(self.folder / "unlabelled" / file).convert("L"))
            if pixels.tobytes() not in seen:
                seen.add(pixels.tobytes())
                images.append(pixels)
                labels.append(int(digits[file]))
        batch = MnistArrays(np.stack(images).astype(np.uint8), np.array(labels, dtype=np.uint8))
        name = f"review-{self.name}.npz"
        incoming.mkdir(parents=True, exist_ok=True)
        save_batch(batch, incoming / name)
        sent = Sent(name, batch.content_hash(), len(batch), time.time())
        write_json(self.folder / "sent.json", asdict(sent))
        return sent


def episodes(root: Path) -> list[Episode]:
    """Every episode under the review folder, newest first."""
    if not root.is_dir():
        return []
    found = [Episode(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda e: e.name, reverse=True)


def write_json(path: Path, data: Any) -> None:
    """``data`` as ``path``, whole or not at all."""
    write_atomically(path, json.dumps(data, indent=1) + "\n")
