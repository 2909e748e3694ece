"""The code location: every asset, check and resource of mnist-assets."""

import dagster as dg

from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.checks import data_checks
from mnist_assets.defs.data.resources import DatasetIOManager, MnistSourceResource
from mnist_assets.env import data_root

defs = dg.Definitions(
    assets=[raw_mnist, mnist_splits],
    asset_checks=data_checks,
    resources={
        "mnist_source": MnistSourceResource.from_environment(),
        "dataset_io": DatasetIOManager(root=str(data_root())),
    },
)
