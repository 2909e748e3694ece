import numpy as np
import pytest
import torch

from mnist_assets.ml.model import CnnConfig, save_checkpoint
from mnist_assets.ml.splits import MnistSplits, SplitFractions, stratified_split
from mnist_assets.ml.training import TrainConfig, fit
from mnist_assets.ml.validation import drift_reference
from mnist_assets.serving.model_store import save_champion


@pytest.fixture(scope="session")
def splits() -> MnistSplits:
    from mnist_assets_tests.conftest import _bundled

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
