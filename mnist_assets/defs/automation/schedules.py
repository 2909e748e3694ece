"""The calendar: retrain on the current data every week, whatever else happens."""

import dagster as dg

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.env import config_defaults

_CALENDAR = config_defaults("automation")["retraining"]

# mnist_cnn and everything after it: a new candidate, its gate, and, if it passes, the service.
retraining_job = dg.define_asset_job(
    "retraining",
    selection=dg.AssetSelection.assets("mnist_cnn").downstream(),
    tags={TRAINING_RUN_TAG: "scheduled"},
    description="Train a candidate on the current splits and take it through the gate",
)

weekly_retraining = dg.ScheduleDefinition(
    name="weekly_retraining",
    job=retraining_job,
    cron_schedule=_CALENDAR["cron"],
    execution_timezone=_CALENDAR["timezone"],
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
