import dataclasses

import numpy as np
import pytest
import torch

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits, SplitFractions, content_split
from mnist_assets.ml.training.augment import random_affine
from mnist_assets.ml.training.fit import BestEpoch, fit
from mnist_assets.ml.training.runtime import Runtime
from mnist_assets_tests.configs import model_config, train_config

SMALL_MODEL = model_config(conv_channels=(8, 16), hidden_units=32)
QUICK = train_config(epochs=2, batch_size=64, precision="fp32", seed=0)


@pytest.fixture
def splits(bundled: MnistArrays) -> MnistSplits:
    return content_split(bundled, SplitFractions(0.8, 0.1, 0.1), seed=0)


def _sample(data: MnistArrays, count: int) -> MnistArrays:
    """A seeded random subset: splits keep the source order, which is sorted by digit."""
    return data.subset(np.random.default_rng(0).permutation(len(data))[:count])


def test_short_training_beats_chance_by_far(splits: MnistSplits) -> None:
    result = fit(
        SMALL_MODEL, dataclasses.replace(QUICK, epochs=3), _sample(splits.train, 1500), splits.val
    )
    assert result.history[-1].val_accuracy > 0.85  # chance is 0.10
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert result.images_per_second > 0 and result.runtime == "cpu/fp32"


def test_same_seed_same_weights_other_seed_other_weights(splits: MnistSplits) -> None:
    config = dataclasses.replace(QUICK, epochs=1, deterministic=True)
    train, val = _sample(splits.train, 400), _sample(splits.val, 100)
    first = fit(SMALL_MODEL, config, train, val).model.state_dict()
    again = fit(SMALL_MODEL, config, train, val).model.state_dict()
    other = fit(SMALL_MODEL, dataclasses.replace(config, seed=1), train, val).model.state_dict()
    for name, tensor in first.items():
        torch.testing.assert_close(again[name], tensor, rtol=0, atol=0)
    assert not torch.equal(other["features.0.weight"], first["features.0.weight"])


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("scheduler", ["cosine", "constant"])
def test_other_optimizers_and_schedules_train(
    splits: MnistSplits, optimizer: str, scheduler: str
) -> None:
    lr = 0.05 if optimizer == "sgd" else 0.003
    config = dataclasses.replace(
        QUICK, optimizer=optimizer, scheduler=scheduler, learning_rate=lr, augment=False
    )
    result = fit(SMALL_MODEL, config, _sample(splits.train, 1000), splits.val)
    assert result.history[-1].val_accuracy > 0.5


def test_bf16_autocast_trains(splits: MnistSplits) -> None:
    config = dataclasses.replace(QUICK, precision="bf16")
    result = fit(SMALL_MODEL, config, _sample(splits.train, 1000), splits.val)
    assert result.runtime == "cpu/bf16"
    assert result.history[-1].val_accuracy > 0.5


def test_best_epoch_tracking_and_patience() -> None:
    best = BestEpoch(patience=2)
    assert best.update(1, 0.90, 0.40)
    assert best.update(2, 0.95, 0.30)
    assert not best.update(3, 0.95, 0.35)  # same accuracy, higher loss: not better
    assert best.update(4, 0.95, 0.20)  # same accuracy, lower loss: better
    assert not best.update(5, 0.94, 0.10) and not best.should_stop(5)
    assert not best.update(6, 0.93, 0.10) and best.should_stop(6)
    assert best.epoch == 4
    assert not BestEpoch(patience=0).should_stop(100)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"scheduler": "step"}, "scheduler must be one of"),
        ({"loss_function": "mse"}, "loss_function must be one of"),
        ({"epochs": 0}, "epochs and batch_size must be >= 1"),
        ({"learning_rate": -1.0}, "learning_rate must be positive"),
        ({"label_smoothing": 1.0}, "label_smoothing must be in"),
    ],
)
def test_bad_training_config_is_refused(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        train_config(**overrides)


@pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the message on CPU-only hosts")
def test_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(RuntimeError, match="PyTorch sees no CUDA GPU"):
        Runtime.resolve("cuda")


@pytest.mark.parametrize(
    ("device", "precision", "message"),
    [("tpu", "auto", "device must be one of"), ("cpu", "fp16", "fp16 autocast is for CUDA")],
)
def test_bad_runtime_is_refused(device: str, precision: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Runtime.resolve(device, precision)


def test_augmentation_moves_digits_but_keeps_background(bundled: MnistArrays) -> None:
    pixels = torch.from_numpy(bundled.images[:64]).float().div(255).unsqueeze(1)
    generator = torch.Generator().manual_seed(0)
    moved = random_affine(pixels, generator, max_shift=2.0, max_degrees=10.0)
    assert moved.shape == pixels.shape
    assert moved.min() >= 0 and moved.max() <= 1
    assert not torch.allclose(moved, pixels)
    # Ink is conserved up to interpolation: a small move neither adds nor erases strokes.
    ratio = moved.sum((1, 2, 3)) / pixels.sum((1, 2, 3))
    assert ratio.min() > 0.85 and ratio.max() < 1.15
    unchanged = random_affine(pixels, generator, max_shift=0.0, max_degrees=0.0)
    torch.testing.assert_close(unchanged, pixels, atol=1e-5, rtol=0)


def test_outlier_exposure_teaches_doubt_on_noise(splits: MnistSplits) -> None:
    from mnist_assets.ml.evaluation.behaviour import probe_behaviour
    from mnist_assets.ml.training.model import to_pixels

    pixels = to_pixels(torch.from_numpy(splits.test.images[:200]))
    noise_confidence = {}
    for exposure in (0.0, 0.1):
        config = dataclasses.replace(QUICK, epochs=3, outlier_exposure=exposure)
        result = fit(SMALL_MODEL, config, _sample(splits.train, 1500), splits.val)
        assert result.history[-1].val_accuracy > 0.85
        noise_confidence[exposure] = probe_behaviour(result.model, pixels).noise_confidence
    assert noise_confidence[0.1] < 0.5 * noise_confidence[0.0], noise_confidence


@pytest.mark.parametrize(
    ("device", "train_size", "batch", "lr_factor"),
    [
        ("cuda", 4_000, 128, 1.0),  # the bundled sample: 32 steps, the configured batch
        ("cuda", 60_000, 1024, 8**0.5),  # full MNIST: 59 steps of 1,024, rate x sqrt(8)
        ("cpu", 60_000, 128, 1.0),  # the CPU keeps the configured batch
    ],
)
def test_cuda_grows_the_batch_of_large_training_sets(
    device: str, train_size: int, batch: int, lr_factor: float
) -> None:
    config = train_config(batch_size=128, learning_rate=0.01, cuda_max_steps_per_epoch=64)
    used = config.for_device(device, train_size)
    assert used.batch_size == batch
    assert used.learning_rate == pytest.approx(0.01 * lr_factor)
    assert config.for_device(device, train_size) == used  # a pure function of its inputs
    assert train_config(cuda_max_steps_per_epoch=0).for_device("cuda", 60_000).batch_size == 128
