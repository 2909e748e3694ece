"""The jobs automation launches: retrain on the current data, or on data that just grew."""

import dagster as dg

from mnist_assets.constants import TRAINING_RUN_TAG

# mnist_cnn and everything after it: a new candidate, its gate, and, if it passes, the service.
retraining_job = dg.define_asset_job(
    "retraining",
    selection=dg.AssetSelection.assets("mnist_cnn").downstream(),
    tags={TRAINING_RUN_TAG: "scheduled"},
    description="Train a candidate on the current splits and take it through the gate",
)

# The whole lineage: a new raw_mnist version (accepted batches appended), new splits, and on.
new_data_job = dg.define_asset_job(
    "retrain_on_new_data",
    selection=dg.AssetSelection.assets("raw_mnist").downstream(),
    tags={TRAINING_RUN_TAG: "new_data"},
    description="Read raw_mnist with the newly accepted batches, then split, train and gate",
)
