"""The calendar: retrain every week, unless nothing changed since the champion was trained."""

import dagster as dg

from mnist_assets.defs.automation.jobs import retraining_job
from mnist_assets.defs.automation.repeat_rule import repeats_the_champion
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.env import automation_run_config, config_defaults

_CALENDAR = config_defaults("automation")["retraining"]


@dg.schedule(
    name="weekly_retraining",
    job=retraining_job,
    cron_schedule=_CALENDAR["cron"],
    execution_timezone=_CALENDAR["timezone"],
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_retraining(
    context: dg.ScheduleEvaluationContext, model_registry: ModelRegistry
) -> dg.RunRequest | dg.SkipReason:
    """A retraining run on the current splits, skipped when it would repeat the champion's."""
    run_config = automation_run_config()
    if reason := repeats_the_champion(context.instance, model_registry, run_config):
        return dg.SkipReason(reason)
    return dg.RunRequest(run_config=run_config)
