"""The data half of the lineage: raw_mnist -> mnist_splits."""

from dataclasses import asdict

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.env import config_defaults
from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits, SplitFractions, content_split
from mnist_assets.ml.monitoring.drift import BatchStatistics

_SPLIT_DEFAULTS = config_defaults("data")["splits"]


STATISTICS_KEY = "statistics"


def dataset_statistics(data: MnistArrays) -> BatchStatistics:
    """Pixel, mean-intensity and class histograms of a dataset."""
    return BatchStatistics.from_images(data.images.astype("float32") / 255.0, classes=data.labels)


def _class_table(counts: list[int]) -> dg.MetadataValue:
    rows = "\n".join(f"| {digit} | {count} |" for digit, count in enumerate(counts))
    return dg.MetadataValue.md(f"| digit | examples |\n|---|---|\n{rows}")


@dg.asset(group_name="data", kinds={"numpy"}, io_manager_key="folder_io")
def raw_mnist(mnist_source: MnistSourceResource) -> dg.Output[MnistArrays]:
    """Every MNIST example the configured source holds, as uint8 images and labels."""
    source = mnist_source.source()
    data = source.load()
    digest = data.content_hash()
    return dg.Output(
        data,
        data_version=dg.DataVersion(digest),
        metadata={
            "count": len(data),
            "source": source.describe(),
            "sha256": digest,
            "class_histogram": _class_table(data.class_counts()),
            # Read back by the data_drift check when the next version arrives.
            STATISTICS_KEY: dg.MetadataValue.json(asdict(dataset_statistics(data))),
        },
    )


class SplitConfig(dg.Config):
    """Split fractions (summing to 1) and the shuffle seed; defaults: configs/data.yaml."""

    train: float = _SPLIT_DEFAULTS["train"]
    val: float = _SPLIT_DEFAULTS["val"]
    test: float = _SPLIT_DEFAULTS["test"]
    seed: int = _SPLIT_DEFAULTS["seed"]

    def fractions(self) -> SplitFractions:
        return SplitFractions(train=self.train, val=self.val, test=self.test)


@dg.asset(
    group_name="data",
    kinds={"numpy"},
    io_manager_key="folder_io",
    automation_condition=FOLLOW_PARENTS,
)
def mnist_splits(config: SplitConfig, raw_mnist: MnistArrays) -> dg.Output[MnistSplits]:
    """A deterministic, stratified train/val/test split with no image in two splits."""
    splits = content_split(raw_mnist, config.fractions(), seed=config.seed)
    metadata: dict[str, dg.RawMetadataValue] = {"seed": config.seed}
    for name, part in splits.items():
        metadata[f"{name}_size"] = len(part)
        metadata[f"{name}_classes"] = _class_table(part.class_counts())
    digest = splits.content_hash()
    metadata["sha256"] = digest
    return dg.Output(splits, data_version=dg.DataVersion(digest), metadata=metadata)
