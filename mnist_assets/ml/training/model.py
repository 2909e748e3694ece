"""The CNN, described entirely by a config dataclass that travels inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mnist_assets.ml.data.dataset import NUM_CLASSES

# Pixel statistics of the MNIST training set, the usual normalisation for this data.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


@dataclass(frozen=True)
class CnnConfig:
    """Architecture of :class:`MnistCnn`; enough on its own to rebuild the network.

    Defaults: mnist_assets/configs/training.yaml, section ``model``.
    """

    conv_channels: tuple[int, ...]  # one conv -> pool -> BN -> ReLU block each, halving H and W
    kernel_size: int  # 5x5 sees a stroke's width and curvature in the first layer
    hidden_units: int  # width of the dense layer before the classifier
    dropout_rate: float  # before the classifier; 4,000 training images overfit easily
    batch_norm: bool  # lets OneCycle's high peak learning rate train stably
    num_classes: int = field(default=NUM_CLASSES)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CnnConfig:
        return cls(**{**values, "conv_channels": tuple(values["conv_channels"])})


class MnistCnn(nn.Module):
    """Normalisation, conv blocks, then a dense head.

    Each block is conv -> 2x2 max-pool -> BN -> ReLU; the head is dense -> ReLU -> dropout ->
    classifier.

    Input: ``float [B, 1, 28, 28]`` pixels in [0, 1], as MNIST after ``ToTensor``.
    Output: ``[B, num_classes]`` logits.
    """

    def __init__(self, config: CnnConfig) -> None:
        super().__init__()
        self.config = config
        blocks: list[nn.Module] = []
        in_channels, size = 1, 28
        for out_channels in config.conv_channels:
            blocks += [
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    config.kernel_size,
                    padding=config.kernel_size // 2,
                    bias=not config.batch_norm,
                ),
                # Pooling before BN and ReLU (as fast CIFAR nets such as airbench do) runs both
                # on a quarter of the activations; max and ReLU commute, BN adapts.
                nn.MaxPool2d(2),
                nn.BatchNorm2d(out_channels) if config.batch_norm else nn.Identity(),
                nn.ReLU(inplace=True),
            ]
            in_channels, size = out_channels, size // 2
        self.features = nn.Sequential(*blocks)
        # Dropout only on the narrow hidden layer: on the wide flattened features its random
        # mask costs a tenth of a CPU training step for no accuracy gain on MNIST.
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * size * size, config.hidden_units),
            nn.ReLU(inplace=True),
            nn.Dropout(config.dropout_rate),
            nn.Linear(config.hidden_units, config.num_classes),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # Normalising inside the model keeps every caller (training, service) on raw pixels.
        features = self.features((pixels - MNIST_MEAN) / MNIST_STD)
        if features.requires_grad and features.is_contiguous(memory_format=torch.channels_last):
            features.register_hook(_channels_last)
        return self.classifier(features)


def _channels_last(grad: torch.Tensor) -> torch.Tensor:
    """The gradient reaching the last conv block, in the block's channels_last layout.

    Flatten's backward hands the last ReLU a contiguous gradient for a channels_last activation;
    mixed layouts send ``threshold_backward`` down a strided path ~30x slower (1 ms of a 21 ms
    CPU step). One 70 µs copy gives it matching layouts.
    """
    return grad.contiguous(memory_format=torch.channels_last)


def to_pixels(images: torch.Tensor) -> torch.Tensor:
    """``uint8 [B, 28, 28]`` -> ``float [B, 1, 28, 28]`` in [0, 1], the model's input."""
    return (images.float() / 255.0).unsqueeze(1)


def save_checkpoint(path: Path, model: MnistCnn) -> None:
    """Store ``{config, state_dict}``: plain tensors and builtins, loadable with weights_only."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    payload = {"config": asdict(model.config), "state_dict": state}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def load_checkpoint(path: Path, device: str | torch.device = "cpu") -> MnistCnn:
    """Rebuild the model from a checkpoint alone, in eval mode."""
    payload = torch.load(path, map_location=device, weights_only=True)
    model = MnistCnn(CnnConfig.from_dict(payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval()
