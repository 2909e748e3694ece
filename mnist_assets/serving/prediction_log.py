"""The service's recent predictions, each with an id, kept in files every worker can read.

Each worker writes a bounded ring of its predictions (the 28x28 input as bytes, the digit, the
confidence, when, and the true label once someone sends it) into a memory-mapped file in a
folder of its server's own. Any worker reads every worker's ring from there, so whichever
worker answers, ``GET /inputs/recent`` returns the server's recent traffic and ``POST
/feedback`` finds the prediction an id names. Writing a prediction is a copy of ~800 bytes.

An id is ``<ring nonce>-<worker>-<sequence>``: the nonce, drawn when the worker starts, keeps a
restarted worker's ids from answering for its predecessor's.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_assets.serving.pids import pid_exists

SIDE = 28
UNLABELLED = -1
RECORD = np.dtype(
    [
        ("seq", np.int64),
        ("time", np.float64),
        ("digit", np.int8),
        ("label", np.int8),  # UNLABELLED until feedback arrives
        ("confidence", np.float32),
        ("pixels", np.uint8, (SIDE, SIDE)),
    ]
)
HEADER = 2  # [predictions written, nonce]


@dataclass(frozen=True)
class Recent:
    """Kept predictions, every worker's oldest first: inputs as bytes and what was predicted."""

    images: np.ndarray  # uint8 [N, 28, 28]
    digits: np.ndarray  # int [N]
    confidences: np.ndarray  # float [N]
    workers: int  # how many workers' rings they come from


class PredictionRing:
    """One worker's ring: ``capacity`` predictions in ``<folder>/worker-<index>.npy``."""

    def __init__(self, folder: Path, worker: int, capacity: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.worker = worker
        self.header = np.lib.format.open_memmap(
            _header_path(folder, worker), mode="w+", dtype=np.int64, shape=(HEADER,)
        )
        self.header[1] = secrets.randbits(48)
        self.records = np.lib.format.open_memmap(
            _ring_path(folder, worker), mode="w+", dtype=RECORD, shape=(capacity,)
        )

    def add(self, pixels: np.ndarray, digits: np.ndarray, confidences: np.ndarray) -> list[str]:
        """Keep ``pixels`` (``[N, 28, 28]`` in [0, 1]) and their predictions; their ids."""
        first = int(self.header[0])
        seqs = first + np.arange(len(pixels))
        keep = slice(max(0, len(pixels) - len(self.records)), None)  # more than fit: the last
        slots = seqs[keep] % len(self.records)
        self.records["pixels"][slots] = np.rint(pixels[keep] * 255.0).astype(np.uint8)
        self.records["digit"][slots] = digits[keep]
        self.records["confidence"][slots] = confidences[keep]
        self.records["label"][slots] = UNLABELLED
        self.records["time"][slots] = time.time()
        self.records["seq"][slots] = seqs[keep]  # last: a reader sees the slot whole or not yet
        self.header[0] = first + len(pixels)
        prefix = f"{int(self.header[1]):x}-{self.worker}-"
        return [prefix + str(seq) for seq in seqs.tolist()]


def read_recent(folder: Path, per_worker: int) -> Recent:
    """The newest ``per_worker`` predictions of every worker in ``folder``."""
    kept = []
    for worker, header in _workers(folder):
        records = np.load(_ring_path(folder, worker), mmap_mode="r")
        seen, capacity = int(header[0]), len(records)
        newest = np.arange(max(0, seen - min(per_worker, capacity)), seen) % capacity
        if len(newest):
            kept.append(np.array(records[newest]))
    if not kept:
        empty = np.zeros(0, dtype=RECORD)
        return Recent(empty["pixels"], empty["digit"], empty["confidence"], 0)
    records = np.concatenate(kept)
    return Recent(records["pixels"], records["digit"], records["confidence"], len(kept))


def open_record(folder: Path, prediction_id: str, window_seconds: float) -> np.ndarray | None:
    """The writable ring slot holding the prediction ``prediction_id`` names, None if gone.

    Gone: a malformed id, another server's or worker's, overwritten by newer predictions, or
    older than ``window_seconds``.
    """
    try:
        nonce, worker, seq = (
            int(part, 16 if i == 0 else 10) for i, part in enumerate(prediction_id.split("-"))
        )
    except ValueError:
        return None
    headers = dict(_workers(folder))
    if worker not in headers or int(headers[worker][1]) != nonce or seq >= int(headers[worker][0]):
        return None
    records = np.load(_ring_path(folder, worker), mmap_mode="r+")
    record = records[seq % len(records) : seq % len(records) + 1]
    if int(record["seq"][0]) != seq or time.time() - float(record["time"][0]) > window_seconds:
        return None
    return record


def server_folder(base: Path) -> Path:
    """This server's folder under ``base``, named after the server process.

    The folders of servers no longer running are removed.
    """
    server = os.getppid()  # BentoML's workers are children of one server process
    if base.is_dir():
        for other in base.iterdir():
            if (
                other.name.isdigit()
                and int(other.name) != server
                and not pid_exists(int(other.name))
            ):
                shutil.rmtree(other, ignore_errors=True)
    return base / str(server)


def _workers(folder: Path) -> list[tuple[int, np.ndarray]]:
    """Every worker's index and header, skipping one creating its files right now."""
    found = []
    for path in sorted(folder.glob("worker-*.header.npy")):
        worker = int(path.name.split(".")[0].removeprefix("worker-"))
        try:
            header = np.array(np.load(path, mmap_mode="r"))
            np.load(_ring_path(folder, worker), mmap_mode="r")
        except (OSError, ValueError):
            continue
        found.append((worker, header))
    return found


def _ring_path(folder: Path, worker: int) -> Path:
    return folder / f"worker-{worker}.npy"


def _header_path(folder: Path, worker: int) -> Path:
    return folder / f"worker-{worker}.header.npy"
