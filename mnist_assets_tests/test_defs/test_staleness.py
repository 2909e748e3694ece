"""due_assets on a toy graph: what a deploy materialises, and what a failed gate holds back."""

import dagster as dg
import pytest

from mnist_assets.defs.staleness import due_assets


class Source(dg.Config):
    content: str = "v1"
    gate_passes: bool = True


@dg.asset
def source(config: Source) -> dg.Output[str]:
    return dg.Output(config.content, data_version=dg.DataVersion(config.content))


@dg.asset
def model(source: str) -> str:
    return f"model({source})"


@dg.asset_check(asset=model, blocking=True)
def gate(config: Source) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=config.gate_passes)


@dg.asset(deps=[model])
def service() -> None:
    return None


DEFS = dg.Definitions(assets=[source, model, service], asset_checks=[gate])
SERVICE = dg.AssetKey("service")


def _run(instance: dg.DagsterInstance, keys: list[str], content: str = "v1", passes: bool = True):
    job = DEFS.resolve_implicit_global_asset_job_def()
    config = {"content": content, "gate_passes": passes}
    ops = {name: {"config": config} for name in ("source",) if name in keys}
    if "model" in keys:
        ops["model_gate"] = {"config": config}
    return job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(k) for k in keys],
        run_config={"ops": ops},
        raise_on_error=False,
    )


def _names(keys) -> list[str]:
    return [key.to_user_string() for key in keys]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_everything_missing_is_due(instance) -> None:
    due, held = due_assets(DEFS, instance)
    assert _names(due) == ["source", "model", "service"] and held == {}


def test_an_unchanged_source_leaves_nothing_to_do(instance) -> None:
    _run(instance, ["source", "model", "service"])
    _run(instance, ["source"])  # observed again: the same content, the same data version
    assert due_assets(DEFS, instance) == ([], {})
    due, _ = due_assets(DEFS, instance, always={SERVICE})
    assert _names(due) == ["service"]


def test_a_new_source_version_makes_everything_below_due(instance) -> None:
    _run(instance, ["source", "model", "service"])
    _run(instance, ["source"], content="v2")
    due, held = due_assets(DEFS, instance)
    assert _names(due) == ["model", "service"] and held == {}


def test_a_failed_blocking_check_holds_back_what_follows(instance) -> None:
    _run(instance, ["source", "model", "service"])
    _run(instance, ["source", "model"], content="v2", passes=False)
    due, held = due_assets(DEFS, instance, always={SERVICE})
    assert _names(due) == ["service"]  # the service still serves what passed before
    assert held == {}  # service is forced; nothing else sits below the gate here
    due, held = due_assets(DEFS, instance)
    assert due == [] and held == {SERVICE: "model: gate failed"}
