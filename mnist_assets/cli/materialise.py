"""Materialise a selection of the graph in this process, printing its progress as it goes."""

import sys
import uuid
from typing import Any

import dagster as dg

from mnist_assets.cli.progress import RunProgress


def materialise(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: list[dg.AssetKey],
    run_config: dict[str, Any],
) -> bool:
    """One recorded Dagster run of ``keys``; True when every step succeeded.

    ``run_config`` may hold config for any asset: only the selected ones' is passed on.
    """
    names = {key.to_user_string() for key in keys}
    ops = {op: cfg for op, cfg in run_config.get("ops", {}).items() if op in names}
    job = defs.resolve_implicit_global_asset_job_def()
    run_id = str(uuid.uuid4())
    with RunProgress(instance, run_id):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=keys,
            run_config={"ops": ops, "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            run_id=run_id,
            raise_on_error=False,
        )
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            print(
                f"{event.step_key} failed: {error.message.strip() if error else ''}",
                file=sys.stderr,
            )
    return result.success
