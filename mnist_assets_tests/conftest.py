import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Every BentoML store and Dagster instance the tests touch lives in a throwaway home, never in
# the checkout's state folder or ~/bentoml.
os.environ["BENTOML_HOME"] = tempfile.mkdtemp(prefix="mnist-bentoml-")
os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="mnist-dagster-")

import numpy as np
import pytest
import torch

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.idx import write_idx
from mnist_assets.ml.data.sources import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    BundledSource,
)
from mnist_assets.ml.data.splits import MnistSplits, content_split
from mnist_assets.ml.evaluation.validation import drift_reference
from mnist_assets.ml.inference.onnx_export import export_onnx, quantize_int8
from mnist_assets.ml.training.fit import fit
from mnist_assets.ml.training.model import MnistCnn, save_checkpoint, to_pixels
from mnist_assets.serving.model_store import save_champion
from mnist_assets_tests.configs import DEFAULT_FRACTIONS, model_config, train_config


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
    return content_split(_bundled(), DEFAULT_FRACTIONS, seed=42)


@pytest.fixture(scope="session")
def trained_model(splits: MnistSplits) -> MnistCnn:
    """A small model trained for two epochs (eval mode, CPU)."""
    config = train_config(epochs=2, precision="fp32", seed=0)
    result = fit(
        model_config(conv_channels=(8, 16), hidden_units=32), config, splits.train, splits.val
    )
    return result.model.to(memory_format=torch.contiguous_format).eval()


@pytest.fixture(scope="session")
def champion_files(
    trained_model: MnistCnn, splits: MnistSplits, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder with the trained model's checkpoint and drift reference."""
    folder = tmp_path_factory.mktemp("champion")
    save_checkpoint(folder / "model.pt", trained_model)
    drift_reference(trained_model, splits).save(folder / "drift_reference.json")
    return folder


CHAMPION_LABELS = {
    "model_version": "7",
    "mlflow_run_id": "run-7",
    "data_version": "d",
    "git_commit": "c",
}


@pytest.fixture(scope="session")
def stored_model(champion_files: Path) -> str:
    """The trained model in the (test) BentoML model store, served by eager PyTorch."""
    return save_champion(
        champion_files / "model.pt",
        champion_files / "drift_reference.json",
        CHAMPION_LABELS,
        {"test_accuracy": 0.97},
    )


@pytest.fixture(scope="session")
def stored_int8_model(champion_files: Path, trained_model: MnistCnn, splits: MnistSplits) -> str:
    """The same model stored with its int8 ONNX variant to serve."""
    export_onnx(trained_model, champion_files / "model.onnx")
    calibration = to_pixels(torch.from_numpy(splits.train.images[:256])).numpy()
    quantize_int8(champion_files / "model.onnx", champion_files / "int8.onnx", calibration)
    return save_champion(
        champion_files / "model.pt",
        champion_files / "drift_reference.json",
        CHAMPION_LABELS,
        {"test_accuracy": 0.97},
        onnx=("onnxruntime-int8", (champion_files / "int8.onnx").read_bytes()),
    )


def scaled_test_images(splits: MnistSplits, count: int) -> tuple[np.ndarray, np.ndarray]:
    return splits.test.images[:count].astype(np.float32) / 255.0, splits.test.labels[:count]
