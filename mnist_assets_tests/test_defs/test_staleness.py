"""due_assets on a toy graph: what a deploy materialises, and what a failed gate holds back."""

import dagster as dg
import pytest

from mnist_assets.defs.shared.staleness import due_assets
from mnist_assets_tests.test_defs.toy_graph import DEFS, materialise

SERVICE = dg.AssetKey("service")


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
    materialise(instance, ["source", "model", "service"])
    materialise(instance, ["source"])  # observed again: the same content, the same data version
    assert due_assets(DEFS, instance) == ([], {})
    due, _ = due_assets(DEFS, instance, always={SERVICE})
    assert _names(due) == ["service"]


def test_a_new_source_version_makes_everything_below_due(instance) -> None:
    materialise(instance, ["source", "model", "service"])
    materialise(instance, ["source"], content="v2")
    due, held = due_assets(DEFS, instance)
    assert _names(due) == ["model", "service"] and held == {}


def test_a_failed_blocking_check_holds_back_what_follows(instance) -> None:
    materialise(instance, ["source", "model", "service"])
    materialise(instance, ["source", "model"], content="v2", passes=False)
    due, held = due_assets(DEFS, instance, always={SERVICE})
    assert _names(due) == ["service"]  # the service still serves what passed before
    assert held == {}  # service is forced; nothing else sits below the gate here
    due, held = due_assets(DEFS, instance)
    assert due == [] and held == {SERVICE: "model: gate failed"}


def test_changed_code_makes_an_asset_due(instance) -> None:
    def graph(code_version: str) -> dg.Definitions:
        @dg.asset(code_version=code_version)
        def packed() -> None:
            return None

        return dg.Definitions(assets=[packed])

    built = graph("service-a")
    built.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert due_assets(built, instance) == ([], {})
    due, _ = due_assets(graph("service-b"), instance)  # the code it packs changed
    assert _names(due) == ["packed"]
