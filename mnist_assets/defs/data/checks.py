"""Blocking data-quality checks on raw_mnist and mnist_splits, built by one factory."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.env import config_defaults
from mnist_assets.ml import quality
from mnist_assets.ml.dataset import MnistArrays
from mnist_assets.ml.splits import MnistSplits


def _verdict_check(
    asset: dg.AssetsDefinition, rule: Callable[[Any], quality.Verdict], value_type: type
) -> dg.AssetChecksDefinition:
    """An asset check that loads the asset and reports what ``rule`` found."""
    name = rule.__name__.removeprefix("check_")

    @dg.asset_check(asset=asset, name=name, blocking=True, description=rule.__doc__)
    def _check(value: value_type) -> dg.AssetCheckResult:  # type: ignore[valid-type]
        verdict = rule(value)
        return dg.AssetCheckResult(
            passed=verdict.passed, description=verdict.description, metadata=verdict.metadata
        )

    return _check


def _class_balance(data: MnistArrays) -> quality.Verdict:
    """No digit is rarer than the configured share (configs/data.yaml: quality)."""
    return quality.check_class_balance(data, config_defaults("data")["quality"]["min_class_share"])


_class_balance.__name__ = "check_class_balance"

data_checks = [
    _verdict_check(raw_mnist, quality.check_image_format, MnistArrays),
    _verdict_check(raw_mnist, quality.check_labels, MnistArrays),
    _verdict_check(raw_mnist, _class_balance, MnistArrays),
    _verdict_check(mnist_splits, quality.check_no_leakage, MnistSplits),
    _verdict_check(mnist_splits, quality.check_split_sizes, MnistSplits),
]
