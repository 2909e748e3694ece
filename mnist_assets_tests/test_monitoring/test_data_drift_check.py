from pathlib import Path

import dagster as dg
import numpy as np

from mnist_assets.defs.data.assets import raw_mnist
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.monitoring.data_drift import data_drift
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.idx import write_idx


def _materialize(instance: dg.DagsterInstance, root: Path, source: MnistSourceResource):
    result = dg.materialize(
        [raw_mnist, data_drift],
        resources={"mnist_source": source, "folder_io": FolderIOManager(root=str(root))},
        instance=instance,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def _idx_source(directory: Path, data: MnistArrays) -> MnistSourceResource:
    directory.mkdir()
    write_idx(directory / "train-images-idx3-ubyte", data.images)
    write_idx(directory / "train-labels-idx1-ubyte", data.labels)
    return MnistSourceResource(kind="idx", idx_dir=str(directory))


def test_drift_check_warns_on_a_different_version_and_not_on_a_rerun(
    tmp_path: Path, bundled: MnistArrays
) -> None:
    with dg.instance_for_test() as instance:
        first = _materialize(instance, tmp_path / "data", MnistSourceResource())
        assert first.passed and first.description == "no earlier version to compare with"
        rerun = _materialize(instance, tmp_path / "data", MnistSourceResource())
        assert rerun.passed and rerun.description == "no earlier version to compare with"

        # A new version of similar digits (a different half of the sample): no warning.
        half = bundled.subset(np.arange(0, len(bundled), 2))
        similar = _materialize(instance, tmp_path / "data", _idx_source(tmp_path / "a", half))
        assert similar.passed, similar.description

        # Then inverted digits arrive: a warning, never blocking.
        inverted = MnistArrays(255 - bundled.images, bundled.labels)
        drifted = _materialize(instance, tmp_path / "data", _idx_source(tmp_path / "b", inverted))
    assert not drifted.passed
    assert drifted.severity == dg.AssetCheckSeverity.WARN
    assert "above the 0.1 limit" in drifted.description
    assert drifted.metadata["psi_pixel_histogram"].value > 1.0
