from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.checks import data_checks
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.idx import write_idx


def _materialize(
    root: Path,
    source: MnistSourceResource,
    instance: dg.DagsterInstance,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [raw_mnist, mnist_splits, *data_checks],
        resources={"mnist_source": source, "folder_io": FolderIOManager(root=str(root))},
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def _data_version(result: dg.ExecuteInProcessResult, asset: str) -> str:
    (event,) = result.asset_materializations_for_node(asset)
    return event.tags["dagster/data_version"]


def test_raw_mnist_called_directly() -> None:
    output = raw_mnist(mnist_source=MnistSourceResource(kind="bundled"))
    assert len(output.value) == 5000
    assert output.metadata["count"].value == 5000
    assert output.data_version == dg.DataVersion(output.value.content_hash())


def test_materialize_writes_data_and_passes_checks(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:
        result = _materialize(tmp_path, MnistSourceResource(kind="bundled"), instance)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert len(checks) == 5 and all(c.passed for c in checks)
        assert (tmp_path / "raw_mnist" / "images.npy").exists()
        assert np.load(tmp_path / "mnist_splits" / "test" / "labels.npy").shape == (535,)

        again = _materialize(tmp_path, MnistSourceResource(kind="bundled"), instance)
        for asset in ("raw_mnist", "mnist_splits"):
            assert _data_version(again, asset) == _data_version(result, asset)


def test_run_config_changes_the_split(tmp_path: Path) -> None:
    config = {"ops": {"mnist_splits": {"config": {"train": 0.6, "val": 0.2, "test": 0.2}}}}
    with dg.instance_for_test() as instance:
        result = _materialize(tmp_path, MnistSourceResource(), instance, config)
    assert result.success
    (event,) = result.asset_materializations_for_node("mnist_splits")
    assert (event.metadata["train_size"].value, event.metadata["test_size"].value) == (2957, 1038)


def test_bad_fractions_fail_the_run_and_keep_existing_data(tmp_path: Path) -> None:
    bad = {"ops": {"mnist_splits": {"config": {"train": 0.9, "val": 0.1, "test": 0.1}}}}
    with dg.instance_for_test() as instance:
        assert _materialize(tmp_path, MnistSourceResource(), instance).success
        before = (tmp_path / "mnist_splits" / "train" / "images.npy").read_bytes()
        result = _materialize(tmp_path, MnistSourceResource(), instance, bad)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "split fractions must sum to 1, got 1.1000" in str(failure.step_failure_data.error)
    assert (tmp_path / "mnist_splits" / "train" / "images.npy").read_bytes() == before


def test_failing_blocking_check_stops_the_splits(tmp_path: Path, bundled: MnistArrays) -> None:
    idx = tmp_path / "idx"
    idx.mkdir()
    labels = bundled.labels.copy()
    labels[:3] = 12  # data built to break the labels check
    write_idx(idx / "train-images-idx3-ubyte", bundled.images)
    write_idx(idx / "train-labels-idx1-ubyte", labels)
    source = MnistSourceResource(kind="idx", idx_dir=str(idx))
    with dg.instance_for_test() as instance:
        result = _materialize(tmp_path / "data", source, instance)
    assert not result.success
    failed = {c.check_name: c for c in result.get_asset_check_evaluations() if not c.passed}
    assert set(failed) == {"labels"}
    assert failed["labels"].description == "3 labels outside 0-9 (e.g. [12])"
    assert result.asset_materializations_for_node("mnist_splits") == []
    assert not (tmp_path / "data" / "mnist_splits").exists()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bundled", "BundledSource"),
        ("torchvision", "TorchvisionSource"),
        ("idx", "IdxDirectorySource"),
    ],
)
def test_source_resource_picks_the_implementation(kind: str, expected: str) -> None:
    assert type(MnistSourceResource(kind=kind).source()).__name__ == expected  # type: ignore[arg-type]


def test_environment_picks_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_SOURCE", "idx")
    assert MnistSourceResource.from_environment().kind == "idx"
    monkeypatch.delenv("MNIST_SOURCE")
    assert MnistSourceResource.from_environment().kind == "bundled"
