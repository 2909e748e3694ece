import copy
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from mnist_assets.ml.training.model import (
    CnnConfig,
    MnistCnn,
    load_checkpoint,
    save_checkpoint,
    to_pixels,
)
from mnist_assets_tests.configs import model_config


@pytest.mark.parametrize(
    "config",
    [
        model_config(),  # the default
        model_config(conv_channels=(8,), kernel_size=3, hidden_units=16),  # one block
        model_config(conv_channels=(8, 16, 32), batch_norm=False),  # three blocks, 28 -> 3
    ],
    ids=["default", "one-block", "three-blocks"],
)
def test_forward_shape(config: CnnConfig) -> None:
    assert MnistCnn(config)(torch.rand(4, 1, 28, 28)).shape == (4, 10)


def test_to_pixels_scales_bytes_to_unit_range() -> None:
    images = torch.tensor([[[0] * 28] * 27 + [[255] * 28]], dtype=torch.uint8)
    pixels = to_pixels(images)
    assert pixels.shape == (1, 1, 28, 28)
    assert pixels.min() == 0.0 and pixels.max() == 1.0


def test_checkpoint_round_trip_rebuilds_from_the_file_alone(tmp_path: Path) -> None:
    config = model_config(conv_channels=(8, 16), hidden_units=32, dropout_rate=0.1)
    model = MnistCnn(config).eval()
    save_checkpoint(tmp_path / "model.pt", model)
    loaded = load_checkpoint(tmp_path / "model.pt")
    assert loaded.config == config
    assert not loaded.training
    x = torch.rand(5, 1, 28, 28)
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


class _NotATensor:
    pass


def test_checkpoint_loading_refuses_pickled_code(tmp_path: Path) -> None:
    # weights_only=True: a checkpoint smuggling arbitrary objects is refused, not executed.
    torch.save({"config": _NotATensor(), "state_dict": {}}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        load_checkpoint(tmp_path / "evil.pt")


class _ReluBackwardLayouts(TorchDispatchMode):
    """Records, for each ReLU backward, whether its gradient and activation are channels_last."""

    def __init__(self) -> None:
        super().__init__()
        self.layouts: list[tuple[bool, bool]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        if func is torch.ops.aten.threshold_backward.default:
            grad, activation = args[0], args[1]
            self.layouts.append(
                tuple(
                    t.is_contiguous(memory_format=torch.channels_last) for t in (grad, activation)
                )
            )
        return func(*args, **(kwargs or {}))


def test_channels_last_training_hands_relu_backward_matching_layouts() -> None:
    plain = MnistCnn(model_config(conv_channels=(8, 16), hidden_units=32)).train()
    fast = copy.deepcopy(plain).to(memory_format=torch.channels_last)
    pixels = torch.rand(6, 1, 28, 28)
    torch.manual_seed(0)  # the same dropout mask for both
    plain(pixels).square().sum().backward()
    recorder = _ReluBackwardLayouts()
    torch.manual_seed(0)
    with recorder:
        fast(pixels.contiguous(memory_format=torch.channels_last)).square().sum().backward()
    # Both conv blocks' ReLUs get gradient and activation channels_last (mixed layouts take a
    # strided path ~30x slower); the head's ReLU works on flat rows.
    assert sorted(recorder.layouts) == [(False, False), (True, True), (True, True)]
    for (name, param), reference in zip(fast.named_parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(param.grad, reference.grad, msg=name)
