"""Training speed: a DataLoader loop in the style of the PyTorch MNIST example vs the project's.

Both train the same network with the same loss, optimizer, schedule, augmentation and epochs on
the same bundled splits, with the same torch thread count, over the same seeds (each seed once
per loop), and both keep the weights of their best validation epoch (scored the same way, after
each epoch, outside the timed part). The baseline feeds per-sample transforms through a
DataLoader in fp32; the project's loop slices batches from tensors held on the device
(channels_last, bf16 where the CPU has it). Prints images/s per seed, the ratio of the means, wall
time and held-out test accuracy of the restored epoch.

    python benchmarks/train_speed.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import copy
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
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.sources import BundledSource
from mnist_assets.ml.data.splits import content_split
from mnist_assets.ml.training.allocator import keep_freed_memory
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.fit import BestEpoch, DeviceData, evaluate, fit
from mnist_assets.ml.training.model import CnnConfig, MnistCnn
from mnist_assets.ml.training.optimizers import build_optimizer, build_scheduler
from mnist_assets.ml.training.runtime import Runtime, configure_threads
from mnist_assets.ml.training.step import training_loss


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
    model_config: CnnConfig, config: TrainConfig, train: MnistArrays, val: DeviceData
) -> tuple[MnistCnn, float]:
    """The tutorial loop; the weights of its best validation epoch and its images/s."""
    torch.manual_seed(config.seed)
    model = MnistCnn(model_config)
    loader = DataLoader(PerSampleMnist(train, config), batch_size=config.batch_size, shuffle=True)
    optimizer = build_optimizer(model, config)
    scheduler = build_scheduler(optimizer, config, len(loader))
    seconds = 0.0
    fp32 = Runtime.resolve("cpu", "fp32")
    generator = torch.Generator().manual_seed(config.seed)
    best, best_state = BestEpoch(patience=0), copy.deepcopy(model.state_dict())
    for epoch in range(1, config.epochs + 1):
        model.train()
        start = time.perf_counter()
        for pixels, labels in loader:
            loss, _ = training_loss(model, pixels, labels, config, fp32, generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        seconds += time.perf_counter() - start
        val_loss, val_accuracy = evaluate(model, val, fp32)
        if best.update(epoch, val_accuracy, val_loss):
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return model.eval(), len(train) * config.epochs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    # mnist_assets/configs/training.yaml, as a training run sees it
    model_config, config = TrainingRunConfig().to_configs()
    # The resources fit() gives the project, given to the baseline too: its threads and the
    # allocator setting (process-wide, so set once before either loop runs).
    configure_threads(config.num_threads)
    keep_freed_memory()
    split = SplitConfig()  # mnist_assets/configs/data.yaml
    splits = content_split(BundledSource().load(), split.fractions(), split.seed)
    cpu = Runtime.resolve("cpu", "fp32")
    test = DeviceData.from_arrays(splits.test, cpu.device, channels_last=False)
    print(
        f"data: {len(splits.train)} train / {len(splits.val)} val / {len(splits.test)} test, "
        f"{config.epochs} epochs, batch {config.batch_size}, {torch.get_num_threads()} threads"
    )

    val = DeviceData.from_arrays(splits.val, cpu.device, channels_last=False)
    runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "project": []}
    for seed in args.seeds:  # interleaved: both loops see the machine in the same state
        seeded = dataclasses.replace(config, seed=seed)
        start = time.perf_counter()
        model, speed = train_baseline(model_config, seeded, splits.train, val)
        runs["baseline"].append((speed, time.perf_counter() - start, evaluate(model, test, cpu)[1]))
        start = time.perf_counter()
        result = fit(model_config, seeded, splits.train, splits.val)
        wall = time.perf_counter() - start
        accuracy = evaluate(result.model, test, cpu)[1]
        runs["project"].append((result.images_per_second, wall, accuracy))
        for name, label in (("baseline", "DataLoader, fp32"), ("project", result.runtime)):
            speed, wall, accuracy = runs[name][-1]
            print(
                f"seed {seed} {name:<8} ({label}): {speed:8.0f} images/s  wall {wall:5.1f}s  "
                f"test accuracy {accuracy:.4f}",
                flush=True,
            )

    means = {name: statistics.mean(r[0] for r in rows) for name, rows in runs.items()}
    print(
        f"\nspeed-up: {means['project'] / means['baseline']:.2f}x images/s "
        f"(mean over {len(args.seeds)} seeds each, best-validation epoch kept by both)"
    )
    for name, rows in runs.items():
        accuracies = [r[2] for r in rows]
        print(
            f"{name:<8} wall {statistics.mean(r[1] for r in rows):.1f}s mean; test accuracy "
            f"mean {statistics.mean(accuracies):.4f}, min {min(accuracies):.4f}, "
            f"max {max(accuracies):.4f}"
        )


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
