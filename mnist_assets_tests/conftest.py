import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Every BentoML store the tests touch lives in a throwaway home, never in ~/bentoml.
os.environ["BENTOML_HOME"] = tempfile.mkdtemp(prefix="mnist-bentoml-")

import numpy as np
import pytest
import torch

from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.idx import write_idx
from mnist_assets.ml.model import CnnConfig, save_checkpoint
from mnist_assets.ml.sources import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    BundledSource,
)
from mnist_assets.ml.splits import MnistSplits, SplitFractions, stratified_split
from mnist_assets.ml.training import TrainConfig, fit
from mnist_assets.ml.validation import drift_reference
from mnist_assets.serving.model_store import save_champion


@pytest.fixture(autouse=True)
def _restore_mlflow_tracking_uri() -> Iterator[None]:
    """mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI; undo it after each test."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@functools.cache
def _bundled() -> MnistArrays:
    return BundledSource().load()


@pytest.fixture
def bundled() -> MnistArrays:
    """The 5,000 real digits every test uses (loaded once per session)."""
    return _bundled()


def write_idx_dir(directory: Path, data: MnistArrays, compress: bool, train_count: int) -> None:
    """Lay ``data`` out as MNIST's four IDX files: the first ``train_count`` as train, rest t10k."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    parts = {
        (TRAIN_IMAGES, TRAIN_LABELS): slice(0, train_count),
        (TEST_IMAGES, TEST_LABELS): slice(train_count, None),
    }
    for (images_name, labels_name), rows in parts.items():
        write_idx(directory / f"{images_name}{suffix}", data.images[rows], compress)
        write_idx(directory / f"{labels_name}{suffix}", data.labels[rows], compress)


@pytest.fixture
def idx_dir(tmp_path: Path, bundled: MnistArrays) -> Path:
    """The bundled sample as gzipped IDX files (4,000 train, 1,000 t10k), like MNIST ships."""
    shuffled = bundled.subset(np.random.default_rng(0).permutation(len(bundled)))
    write_idx_dir(tmp_path / "idx", shuffled, compress=True, train_count=4000)
    return tmp_path / "idx"


@pytest.fixture(scope="session")
def splits() -> MnistSplits:
    return stratified_split(_bundled(), SplitFractions(), seed=42)


@pytest.fixture(scope="session")
def stored_model(splits: MnistSplits, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small model trained for two epochs, saved in the (test) BentoML model store."""
    config = TrainConfig(epochs=2, precision="fp32", seed=0)
    result = fit(
        CnnConfig(conv_channels=(8, 16), hidden_units=32), config, splits.train, splits.val
    )
    model = result.model.to(memory_format=torch.contiguous_format)
    folder = tmp_path_factory.mktemp("champion")
    save_checkpoint(folder / "model.pt", model)
    drift_reference(model, splits).save(folder / "drift_reference.json")
    labels = {
        "model_version": "7",
        "mlflow_run_id": "run-7",
        "data_version": "d",
        "git_commit": "c",
    }
    return save_champion(
        folder / "model.pt", folder / "drift_reference.json", labels, {"test_accuracy": 0.97}
    )


def scaled_test_images(splits: MnistSplits, count: int) -> tuple[np.ndarray, np.ndarray]:
    return splits.test.images[:count].astype(np.float32) / 255.0, splits.test.labels[:count]
