"""The new-data sensor over its scenarios, and raw_mnist growing by the accepted batches."""

from pathlib import Path

import dagster as dg

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.defs.data.assets import raw_mnist
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.ingestion.inbox import REASON_SUFFIX
from mnist_assets_tests.test_defs.conftest import Folders


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
