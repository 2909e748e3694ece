import torch

from mnist_assets.ml.evaluation.behaviour import probe_behaviour, shift_one_pixel
from mnist_assets.ml.training.model import MnistCnn
from mnist_assets_tests.configs import model_config


def test_shift_moves_content_and_fills_with_background() -> None:
    pixels = torch.zeros(1, 1, 28, 28)
    pixels[0, 0, 0, 5] = 1.0  # top row
    pixels[0, 0, 27, 6] = 1.0  # bottom row
    down = shift_one_pixel(pixels, 1, 0)
    assert down[0, 0, 1, 5] == 1.0
    assert down[0, 0, 0].sum() == 0  # the bottom row does not wrap around to the top
    right = shift_one_pixel(pixels, 0, -1)
    assert right[0, 0, 0, 4] == 1.0 and right[0, 0, :, 27].sum() == 0


def test_probe_reports_rates_and_confidences_in_range() -> None:
    torch.manual_seed(0)
    model = MnistCnn(model_config(conv_channels=(4,), hidden_units=8)).eval()
    behaviour = probe_behaviour(model, torch.rand(20, 1, 28, 28))
    assert 0.0 <= behaviour.shift_flip_rate <= 1.0
    assert 0.1 <= behaviour.blank_confidence <= 1.0  # ten classes: never below 1/10
    assert 0.1 <= behaviour.noise_confidence <= 1.0
