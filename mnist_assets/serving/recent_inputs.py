"""The most recent inputs of each service worker, kept so that drifted traffic can be labelled.

Each worker writes a bounded ring of its inputs (28x28 bytes each) into a memory-mapped file in
a folder of its server's own; any worker reads every worker's ring from there, so one request
returns the server's recent traffic whichever worker answers it. Writing an input is a copy of
784 bytes; nothing is kept once the ring wraps.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from mnist_assets.serving.pids import pid_exists

SIDE = 28


class InputRing:
    """One worker's ring: ``capacity`` inputs in ``<folder>/worker-<index>.npy``, newest last."""

    def __init__(self, folder: Path, worker: int, capacity: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"worker-{worker}.npy"
        self.count_path = folder / f"worker-{worker}.count.npy"
        self.images = np.lib.format.open_memmap(
            self.path, mode="w+", dtype=np.uint8, shape=(capacity, SIDE, SIDE)
        )
        self.seen = np.lib.format.open_memmap(
            self.count_path, mode="w+", dtype=np.int64, shape=(1,)
        )

    def add(self, pixels: np.ndarray) -> None:
        """Keep ``pixels`` (``[N, 28, 28]`` in [0, 1]) as bytes, overwriting the oldest."""
        capacity = len(self.images)
        pixels = pixels[-capacity:]
        slots = (int(self.seen[0]) + np.arange(len(pixels))) % capacity
        self.images[slots] = np.rint(pixels * 255.0).astype(np.uint8)
        self.seen[0] += len(pixels)


def read_rings(folder: Path) -> tuple[np.ndarray, int]:
    """Every worker's kept inputs and how many workers kept some.

    The inputs are uint8 ``[N, 28, 28]``, each worker's ring oldest first.
    """
    kept = []
    for count_path in sorted(folder.glob("worker-*.count.npy")):
        path = count_path.with_name(count_path.name.replace(".count.npy", ".npy"))
        try:
            seen = int(np.load(count_path, mmap_mode="r")[0])
            images = np.load(path, mmap_mode="r")
        except (OSError, ValueError):  # a worker creating its files right now
            continue
        capacity = len(images)
        order = (seen + np.arange(capacity)) % capacity if seen >= capacity else np.arange(seen)
        if len(order):
            kept.append(np.array(images[order]))
    if not kept:
        return np.zeros((0, SIDE, SIDE), dtype=np.uint8), 0
    return np.concatenate(kept), len(kept)


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
