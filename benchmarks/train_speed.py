"""Training speed: a DataLoader loop in the style of the PyTorch MNIST example vs the project's.

Both train the same network with the same loss, optimizer, schedule, augmentation and epochs on
the same bundled splits; the baseline feeds per-sample transforms through a DataLoader in fp32, the
project's loop slices batches from tensors held on the device (channels_last, bf16 where the CPU
has it). Prints images/s, the ratio, wall time and held-out test accuracy.

    python benchmarks/train_speed.py [--seeds 0 1 2] [--baseline-epochs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from mnist_assets.defs.data.assets import SplitConfig
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.model import CnnConfig, MnistCnn
from mnist_assets.ml.optimizers import build_optimizer, build_scheduler
from mnist_assets.ml.runtime import Runtime, configure_threads
from mnist_assets.ml.sources import BundledSource
from mnist_assets.ml.splits import stratified_split
from mnist_assets.ml.train_config import TrainConfig
from mnist_assets.ml.train_step import training_loss
from mnist_assets.ml.training import DeviceData, evaluate, fit


class PerSampleMnist(Dataset):
    """The tutorial pattern: one PIL image at a time through torchvision transforms."""

    def __init__(self, data: MnistArrays, config: TrainConfig) -> None:
        self.data = data
        steps = [transforms.ToTensor()]
        if config.augment:
            shift = config.max_shift_pixels / 28
            steps.insert(0, transforms.RandomAffine(config.max_rotation_degrees, (shift, shift)))
        self.transform = transforms.Compose(steps)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.data.images[index])
        return self.transform(image), int(self.data.labels[index])


def train_baseline(
    model_config: CnnConfig, config: TrainConfig, train: MnistArrays
) -> tuple[MnistCnn, float]:
    torch.manual_seed(config.seed)
    model = MnistCnn(model_config)
    loader = DataLoader(PerSampleMnist(train, config), batch_size=config.batch_size, shuffle=True)
    optimizer = build_optimizer(model, config)
    scheduler = build_scheduler(optimizer, config, len(loader))
    seconds = 0.0
    fp32 = Runtime.resolve("cpu", "fp32")
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.epochs):
        model.train()
        start = time.perf_counter()
        for pixels, labels in loader:
            loss, _ = training_loss(model, pixels, labels, config, fp32, generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        seconds += time.perf_counter() - start
    return model.eval(), len(train) * config.epochs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--baseline-epochs", type=int, default=None, help="default: same as ours")
    args = parser.parse_args()

    # mnist_assets/configs/training.yaml, as a training run sees it
    model_config, config = TrainingRunConfig().to_configs()
    configure_threads(config.num_threads)
    split = SplitConfig()  # mnist_assets/configs/data.yaml
    splits = stratified_split(BundledSource().load(), split.fractions(), split.seed)
    cpu = Runtime.resolve("cpu", "fp32")
    test = DeviceData.from_arrays(splits.test, cpu.device, channels_last=False)
    print(
        f"data: {len(splits.train)} train / {len(splits.val)} val / {len(splits.test)} test, "
        f"{config.epochs} epochs, batch {config.batch_size}, {torch.get_num_threads()} threads"
    )

    baseline_config = dataclasses.replace(
        config, seed=args.seeds[0], epochs=args.baseline_epochs or config.epochs
    )
    start = time.perf_counter()
    baseline_model, baseline_ips = train_baseline(model_config, baseline_config, splits.train)
    baseline_wall = time.perf_counter() - start
    baseline_acc = evaluate(baseline_model, test, cpu)[1]
    print(
        f"baseline (DataLoader, per-sample transforms, fp32): {baseline_ips:8.0f} images/s  "
        f"wall {baseline_wall:5.1f}s  test accuracy {baseline_acc:.4f}"
    )

    speeds, accuracies, walls = [], [], []
    for seed in args.seeds:
        start = time.perf_counter()
        result = fit(model_config, dataclasses.replace(config, seed=seed), splits.train, splits.val)
        walls.append(time.perf_counter() - start)
        speeds.append(result.images_per_second)
        accuracies.append(evaluate(result.model, test, cpu)[1])
        print(
            f"project  (on-device batches, {result.runtime}), seed {seed}: "
            f"{result.images_per_second:8.0f} images/s  wall {walls[-1]:5.1f}s  "
            f"test accuracy {accuracies[-1]:.4f}"
        )

    ratio = statistics.mean(speeds) / baseline_ips
    print(f"\nspeed-up: {ratio:.2f}x images/s (project mean over {len(speeds)} seeds / baseline)")
    print(
        f"project default config: wall {statistics.mean(walls):.1f}s mean, "
        f"{max(walls):.1f}s max; test accuracy mean {statistics.mean(accuracies):.4f}, "
        f"min {min(accuracies):.4f}, max {max(accuracies):.4f}"
    )


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
