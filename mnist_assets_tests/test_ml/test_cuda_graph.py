"""The CUDA-graph training step: the same numbers as the eager step, and training that works.

Runs only where PyTorch sees a GPU; self-contained (no project fixtures), so that it also runs
with ``pytest --noconftest`` on a GPU machine that has PyTorch but not the rest of the project.
"""

import copy
import dataclasses

import numpy as np
import pytest
import torch

from mnist_assets.env import config_defaults
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.fit import fit
from mnist_assets.ml.training.model import CnnConfig, MnistCnn
from mnist_assets.ml.training.runtime import Runtime
from mnist_assets.ml.training.step import TrainStep

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

SMALL = CnnConfig(
    conv_channels=(8, 16), kernel_size=5, hidden_units=32, dropout_rate=0.0, batch_norm=True
)


def _config(**overrides: object) -> TrainConfig:
    defaults = TrainConfig(**config_defaults("training")["training"])
    return dataclasses.replace(defaults, device="cuda", precision="fp32", **overrides)


def _digits(count: int, seed: int = 0) -> MnistArrays:
    """Two blob classes a small CNN separates easily: a test of the loop, not of MNIST."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
    images[labels == 0, 4:12, 4:12] = 255
    images[labels == 1, 16:24, 16:24] = 255
    return MnistArrays(images, labels.astype(np.int64))


def _on_gpu(count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` of the blob digits as the model's input on the GPU, and their labels."""
    data = _digits(count)
    pixels = torch.from_numpy(data.images).float().div(255).unsqueeze(1).cuda()
    return pixels, torch.from_numpy(data.labels).cuda()


def _one_step(cuda_graphs: bool, model: MnistCnn, batch: torch.Tensor, labels: torch.Tensor):
    config = _config(cuda_graphs=cuda_graphs, batch_size=len(labels), augment=False)
    config = dataclasses.replace(config, outlier_exposure=0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # gradients only; weights stay
    generator = torch.Generator(device="cuda").manual_seed(0)
    step = TrainStep(model, optimizer, config, Runtime.resolve("cuda", "fp32"), generator)
    loss, logits = step(batch, labels)
    return loss.clone(), logits.clone(), [p.grad.clone() for p in model.parameters()]


def test_the_graphed_step_computes_what_the_eager_step_computes() -> None:
    torch.manual_seed(0)
    model = MnistCnn(SMALL).cuda().train()
    batch, labels = _on_gpu(64)
    eager = _one_step(False, copy.deepcopy(model), batch, labels)
    graphed = _one_step(True, copy.deepcopy(model), batch, labels)
    torch.testing.assert_close(graphed[0], eager[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(graphed[1], eager[1], rtol=1e-4, atol=1e-4)
    for mine, theirs in zip(graphed[2], eager[2], strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-3, atol=1e-5)


def test_training_with_graphs_learns_and_short_batches_keep_the_graphs_gradients() -> None:
    # 1,000 images at batch 96: ten graphed steps and one short eager step per epoch.
    config = _config(epochs=3, batch_size=96, cuda_max_steps_per_epoch=0, seed=1)
    result = fit(SMALL, config, _digits(1000), _digits(200, seed=1))
    assert result.history[-1].val_accuracy > 0.95
    assert result.runtime == "cuda/fp32" and result.batch_size == 96


def test_a_short_eager_batch_hands_its_gradients_to_the_graph() -> None:
    torch.manual_seed(0)
    model = MnistCnn(SMALL).cuda().train()
    pixels, labels = _on_gpu(96)
    config = _config(batch_size=64, augment=False, outlier_exposure=0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    generator = torch.Generator(device="cuda").manual_seed(0)
    step = TrainStep(model, optimizer, config, Runtime.resolve("cuda", "fp32"), generator)
    step(pixels[:64], labels[:64])  # captured and replayed
    step(pixels[64:], labels[64:])  # 32 images: eager
    assert step.captured is not None
    held = step.captured.gradients
    assert all(p.grad is g for p, g in zip(model.parameters(), held, strict=True))
    short = [g.clone() for g in held]
    step(pixels[32:], labels[32:])  # replayed on other images: the optimizer sees new gradients
    assert any(not torch.equal(p.grad, s) for p, s in zip(model.parameters(), short, strict=True))
