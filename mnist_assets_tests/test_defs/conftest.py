"""Fixtures of the new-data sensor's tests: a data root, its incoming folder, ticks over it."""

from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from mnist_assets.defs.automation.new_data import IncomingFolder, new_data_sensor
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.ml.data.dataset import MnistArrays


class Folders:
    """A data root with the incoming folder, and the sensor's ticks over it."""

    def __init__(self, root: Path) -> None:
        self.root, self.cursor = root, None
        self.incoming = root / "incoming"
        self.incoming.mkdir(parents=True)
        self.source = MnistSourceResource(kind="bundled", accepted_dir=str(root / "batches"))

    def drop(self, name: str, batch: MnistArrays) -> None:
        np.savez(self.incoming / name, images=batch.images, labels=batch.labels)

    def tick(self, cursor: str | None = None):
        """One evaluation, from the last tick's cursor unless ``cursor`` is given."""
        resources = {
            "incoming": IncomingFolder(
                folder=str(self.incoming), quarantine=str(self.root / "quarantine")
            ),
            "mnist_source": self.source,
        }
        cursor = self.cursor if cursor is None else cursor
        context = dg.build_sensor_context(cursor=cursor, resources=resources)
        result = new_data_sensor.evaluate_tick(context)
        self.cursor = result.cursor or self.cursor
        return result

    def accepted(self) -> list[str]:
        return sorted(p.name for p in (self.root / "batches").glob("*.npz"))


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path / "data")


@pytest.fixture
def new_batch(bundled: MnistArrays) -> MnistArrays:
    """Twenty real digits the bundled data does not hold (shifted one pixel down)."""
    return MnistArrays(np.roll(bundled.images[:20], 1, axis=1), bundled.labels[:20])
