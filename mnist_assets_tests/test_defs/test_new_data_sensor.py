"""The new-data sensor over its scenarios, and raw_mnist growing by the accepted batches."""

from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.defs.automation.new_data import IncomingFolder, new_data_sensor
from mnist_assets.defs.data.assets import raw_mnist
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.inbox import REASON_SUFFIX


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


def test_nothing_new_skips(folders: Folders) -> None:
    result = folders.tick()
    assert not result.run_requests
    assert "no new labelled batches" in result.skip_message


def test_a_valid_batch_is_accepted_and_requests_one_run_keyed_by_its_content(
    folders: Folders, new_batch: MnistArrays
) -> None:
    folders.drop("delivery.npz", new_batch)
    (request,) = folders.tick().run_requests
    assert request.run_key == new_batch.content_hash()
    assert request.tags[TRAINING_RUN_TAG] == "new_data"
    assert folders.accepted() == [f"00001-{new_batch.content_hash()}.npz"]
    assert not list(folders.incoming.iterdir())

    # The same batch dropped again: already in the data, no second run.
    folders.drop("delivery-again.npz", new_batch)
    again = folders.tick()
    assert not again.run_requests and len(folders.accepted()) == 1
    assert not list(folders.incoming.iterdir())

    # A restart that lost the cursor asks again under the same key, which Dagster drops.
    (repeat,) = folders.tick(cursor="").run_requests
    assert repeat.run_key == request.run_key


def test_an_invalid_batch_is_quarantined_with_its_reason_and_changes_nothing(
    folders: Folders, new_batch: MnistArrays, bundled: MnistArrays
) -> None:
    folders.drop("mislabelled.npz", MnistArrays(new_batch.images, new_batch.labels + 10))
    folders.drop("seen-before.npz", MnistArrays(bundled.images[:5], bundled.labels[:5]))
    result = folders.tick()
    assert not result.run_requests
    assert "quarantined mislabelled.npz, seen-before.npz" in result.skip_message
    assert folders.accepted() == [] and not list(folders.incoming.iterdir())
    reasons = {
        p.name.split("-", 1)[1]: p.read_text()
        for p in (folders.root / "quarantine").glob(f"*{REASON_SUFFIX}")
    }
    assert "20 labels outside 0-9" in reasons[f"mislabelled.npz{REASON_SUFFIX}"]
    assert "5 of 5 images are already in the data" in reasons[f"seen-before.npz{REASON_SUFFIX}"]


def test_raw_mnist_appends_the_accepted_batches(
    folders: Folders, new_batch: MnistArrays, tmp_path: Path
) -> None:
    def materialise() -> tuple[int, str]:
        result = dg.materialize(
            [raw_mnist],
            resources={
                "mnist_source": folders.source,
                "folder_io": FolderIOManager(root=str(folders.root)),
            },
        )
        (event,) = result.asset_materializations_for_node("raw_mnist")
        return event.metadata["count"].value, event.tags["dagster/data_version"]

    before = materialise()
    folders.drop("delivery.npz", new_batch)
    folders.tick()
    after = materialise()
    assert before[0] == 5000 and after[0] == 5020 and after[1] != before[1]
    assert materialise() == after  # raw data is read again, unchanged: same version
