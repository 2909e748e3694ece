"""The calendar: retrain on the current data every week, whatever else happens."""

import dagster as dg

from mnist_assets.defs.automation.jobs import retraining_job
from mnist_assets.env import automation_run_config, config_defaults

_CALENDAR = config_defaults("automation")["retraining"]

weekly_retraining = dg.ScheduleDefinition(
    name="weekly_retraining",
    job=retraining_job,
    cron_schedule=_CALENDAR["cron"],
    execution_timezone=_CALENDAR["timezone"],
    run_config=automation_run_config(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
