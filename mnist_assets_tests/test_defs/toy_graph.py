"""A three-asset graph shaped like the project's: source → model (gated) → service.

The source's data version is its content; the model's blocking check passes or fails on demand.
Shared by the staleness and automation tests.
"""

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS


class Knobs(dg.Config):
    content: str = "v1"
    gate_passes: bool = True


@dg.asset
def source(config: Knobs) -> dg.Output[str]:
    return dg.Output(config.content, data_version=dg.DataVersion(config.content))


@dg.asset(automation_condition=FOLLOW_PARENTS)
def model(source: str) -> str:
    return source.upper()


@dg.asset_check(asset=model, blocking=True)
def gate(config: Knobs) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=config.gate_passes)


@dg.asset(deps=[model], automation_condition=FOLLOW_PARENTS)
def service() -> None:
    return None


DEFS = dg.Definitions(assets=[source, model, service], asset_checks=[gate])
NAMES = ("source", "model", "service")


def materialise(
    instance: dg.DagsterInstance, names: list[str], content: str = "v1", passes: bool = True
) -> dg.ExecuteInProcessResult:
    """Materialise ``names`` with this source content and gate outcome."""
    knobs = {"config": {"content": content, "gate_passes": passes}}
    ops = {name: knobs for name in names if name == "source"}
    if "model" in names:
        ops["model_gate"] = knobs
    return DEFS.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(n) for n in names],
        run_config={"ops": ops},
        raise_on_error=False,
    )
