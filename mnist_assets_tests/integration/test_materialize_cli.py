from pathlib import Path

import dagster as dg
import pytest

from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COMMAND = ["dagster", "asset", "materialize", "-m", "mnist_assets.definitions"]


def test_cli_materialises_data_assets_and_reruns_keep_the_version(
    tmp_path: Path, cli_env: dict[str, str], dagster_home: Path
) -> None:
    for _ in range(2):
        run([*COMMAND, "--select", "raw_mnist,mnist_splits"], REPO_ROOT, cli_env)
    assert (tmp_path / "data" / "mnist_splits" / "val" / "images.npy").exists()

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for asset in ("raw_mnist", "mnist_splits"):
            records = instance.fetch_materializations(dg.AssetKey(asset), limit=2).records
            versions = {r.asset_materialization.tags["dagster/data_version"] for r in records}
            assert len(records) == 2 and len(versions) == 1, versions
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            _data_check_keys()
        )
        # Five blocking quality checks and the data_drift warning, all run and all passed.
        assert len(checks) == 6
        assert all(c.status.value == "SUCCEEDED" for c in checks.values())


def _data_check_keys() -> list[dg.AssetCheckKey]:
    from mnist_assets.definitions import defs

    data_assets = {dg.AssetKey("raw_mnist"), dg.AssetKey("mnist_splits")}
    keys = defs.resolve_asset_graph().asset_check_keys
    return [key for key in keys if key.asset_key in data_assets]
