"""Inference runtimes: eager PyTorch vs ONNX Runtime (fp32 and int8), one CPU thread each.

Trains the default network (mnist_assets/configs/training.yaml) on the bundled splits, builds
the same variants as the optimized_model asset, and prints per variant: test accuracy and
agreement with eager PyTorch, batch-1 latency (p50/p99) and images/s, images/s at batch 64, and
the ratios to eager PyTorch measured in the same run.

    python benchmarks/inference_runtimes.py [--epochs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from mnist_assets.defs.data.assets import SplitConfig
from mnist_assets.defs.serving.optimized import OptimizationConfig
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.ml.data.sources import BundledSource
from mnist_assets.ml.data.splits import content_split
from mnist_assets.ml.inference.variants_build import REFERENCE, build_variants, compare
from mnist_assets.ml.training.fit import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=int, default=None, help="default: mnist_assets/configs/training.yaml"
    )
    args = parser.parse_args()

    model_config, config = TrainingRunConfig().to_configs()
    if args.epochs:
        config = dataclasses.replace(config, epochs=args.epochs)
    split = SplitConfig()  # mnist_assets/configs/data.yaml
    splits = content_split(BundledSource().load(), split.fractions(), split.seed)
    model = fit(model_config, config, splits.train, splits.val).model
    with tempfile.TemporaryDirectory() as tmp:
        variants = build_variants(model, splits, Path(tmp))
        # On the test split here: this benchmark reports accuracy, it does not choose a variant.
        results, chosen = compare(variants, splits.test, OptimizationConfig().rule())
    eager = next(r for r in results if r.name == REFERENCE)
    print(f"default network, {config.epochs} epochs, {len(splits.test)} test digits, 1 thread")
    print(
        f"{'variant':<11} {'accuracy':>9} {'agree':>8} {'p50 µs':>7} {'p99 µs':>7} "
        f"{'b1 img/s':>9} {'x eager':>8} {'b64 img/s':>10} {'x eager':>8}  verdict"
    )
    for r in results:
        print(
            f"{r.name:<11} {r.accuracy:>9.2%} {r.agreement:>8.2%} {r.p50_us:>7.0f} "
            f"{r.p99_us:>7.0f} {1e6 / r.p50_us:>9,.0f} {eager.p50_us / r.p50_us:>7.2f}x "
            f"{r.batch64_images_per_s:>10,.0f} "
            f"{r.batch64_images_per_s / eager.batch64_images_per_s:>7.2f}x  {r.reason}"
        )
    speedup = eager.p50_us / chosen.p50_us
    print(f"served: {chosen.name} ({chosen.runtime}), {speedup:.2f}x eager at batch 1")


if __name__ == "__main__":
    main()
