"""Blocking data-quality checks on raw_mnist and mnist_splits."""

import functools

from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.shared.checks import verdict_check
from mnist_assets.env import config_defaults
from mnist_assets.ml.data import quality
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits

_MIN_CLASS_SHARE = config_defaults("data")["quality"]["min_class_share"]

data_checks = [
    verdict_check(raw_mnist, "image_format", quality.check_image_format, MnistArrays),
    verdict_check(raw_mnist, "labels", quality.check_labels, MnistArrays),
    verdict_check(
        raw_mnist,
        "class_balance",
        functools.partial(quality.check_class_balance, min_share=_MIN_CLASS_SHARE),
        MnistArrays,
        description=f"No digit is under {_MIN_CLASS_SHARE:.0%} of the data (configs/data.yaml).",
    ),
    verdict_check(mnist_splits, "no_leakage", quality.check_no_leakage, MnistSplits),
    verdict_check(mnist_splits, "split_sizes", quality.check_split_sizes, MnistSplits),
]
