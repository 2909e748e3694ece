"""Training with and without the allocator setting, each run in a fresh process.

``fit`` tells glibc to keep freed memory (mnist_assets/ml/training/allocator.py). Whether a process
without it page-faults its activations back in every step depends on what it freed before: glibc
raises its mmap threshold once a large block is freed, which the bundled 4,000-image training
happens to do early. This runs the default configuration on the bundled training split tiled to
IMAGES images (60,000: the size of torchvision's full training set) for EPOCHS epochs, in fresh
interpreters, alternating: ``fit`` as it is and ``fit`` with the setting switched off (the
baseline), same seed, data and threads. Prints images/s per run, medians and their ratio.

    python benchmarks/train_allocator.py [--images 60000] [--epochs 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys

import numpy as np

SETTINGS = ("without", "with")  # the baseline first in every round


def child(setting: str, images: int, epochs: int) -> None:
    """One training in this process; prints its images/s."""
    import mnist_assets.ml.training.fit as training
    from mnist_assets.defs.data.assets import SplitConfig
    from mnist_assets.defs.training.config import TrainingRunConfig
    from mnist_assets.ml.data.dataset import MnistArrays
    from mnist_assets.ml.data.sources import BundledSource
    from mnist_assets.ml.data.splits import content_split

    if setting == "without":
        training.keep_freed_memory = lambda: False  # glibc's defaults
    model_config, config = TrainingRunConfig().to_configs()
    config = dataclasses.replace(config, epochs=epochs)
    split = SplitConfig()
    splits = content_split(BundledSource().load(), split.fractions(), split.seed)
    tiles = -(-images // len(splits.train))
    train = MnistArrays(
        np.tile(splits.train.images, (tiles, 1, 1))[:images],
        np.tile(splits.train.labels, tiles)[:images],
    )
    result = training.fit(model_config, config, train, splits.val)
    print(f"{result.images_per_second:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=SETTINGS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.images, args.epochs)
        return

    print(f"{args.images:,} training images, {args.epochs} epoch(s), fresh process per run")
    speeds: dict[str, list[float]] = {setting: [] for setting in SETTINGS}
    for repeat in range(args.repeats):
        for setting in SETTINGS:
            command = [sys.executable, __file__, "--child", setting]
            command += ["--images", str(args.images), "--epochs", str(args.epochs)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            speeds[setting].append(float(done.stdout.split()[-1]))
            print(
                f"round {repeat + 1}: {setting:<7} the setting: {speeds[setting][-1]:8.0f} images/s"
            )
    medians = {setting: statistics.median(values) for setting, values in speeds.items()}
    print(
        f"\nmedian images/s: {medians['without']:,.0f} without, {medians['with']:,.0f} with: "
        f"{medians['with'] / medians['without']:.2f}x"
    )


if __name__ == "__main__":
    main()
