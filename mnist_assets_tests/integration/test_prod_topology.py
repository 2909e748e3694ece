"""Dagster's production topology on a real Postgres: a materialisation launched through the
webserver's GraphQL API, as the UI's Materialise button does, lands in Postgres."""

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dagster_graphql import DagsterGraphQLClient

from mnist_assets.constants import REGISTERED_MODEL_NAME
from mnist_assets.deploy.probes import free_port
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Everything but the live service (the deploy test covers serving).
ASSETS = [
    "raw_mnist",
    "mnist_splits",
    "mnist_cnn",
    "validation_report",
    "mnist_champion",
    "optimized_model",
    "mnist_bento",
]


@pytest.fixture
def topology(cli_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """`mnist-assets prod-up` on free ports and a throwaway run folder; prod-down after.

    The run folder sits where the postgres user can enter (pytest's own folders are 0700).
    """
    prod = Path(tempfile.mkdtemp(prefix="mnist-prod-"))
    prod.chmod(0o711)
    cli_env.update(
        MNIST_PROD_RUN_DIR=str(prod),
        BENTOML_HOME=str(tmp_path / "bentoml"),
        **{
            f"MNIST_PROD_{name}_PORT": str(free_port())
            for name in ("POSTGRES", "MLFLOW", "CODE_SERVER", "WEBSERVER")
        },
    )
    try:
        run(["mnist-assets", "prod-up"], REPO_ROOT, cli_env, timeout=400)
        yield cli_env
    finally:
        run(["mnist-assets", "prod-down", "--purge"], REPO_ROOT, cli_env)
        shutil.rmtree(prod, ignore_errors=True)


def _rows(url: str, query: str, *args: str) -> list[tuple]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(query, args)
        return cursor.fetchall()


def test_a_materialisation_launched_over_graphql_lands_in_postgres(
    topology: dict[str, str],
) -> None:
    client = DagsterGraphQLClient(
        "127.0.0.1", port_number=int(topology["MNIST_PROD_WEBSERVER_PORT"])
    )
    run_id = client.submit_job_execution(
        "__ASSET_JOB",
        repository_location_name="mnist_assets",
        run_config=SHORT_RUN,
        asset_selection=ASSETS,
    )
    deadline = time.monotonic() + 600
    while (status := client.get_run_status(run_id).value) not in ("SUCCESS", "FAILURE", "CANCELED"):
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(3)
    logs = Path(topology["MNIST_PROD_RUN_DIR"]) / "logs"
    assert status == "SUCCESS", (logs / "daemon.log").read_text()[-3000:]

    # Password authentication only: without the generated password nobody gets in.
    port = topology["MNIST_PROD_POSTGRES_PORT"]
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(f"postgresql://mnist@127.0.0.1:{port}/dagster").close()
    password_file = Path(topology["MNIST_PROD_RUN_DIR"]) / "postgres-password"
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert (Path(topology["MNIST_PROD_RUN_DIR"]) / "postgres" / "PG_VERSION").is_file()
    postgres = f"postgresql://mnist:{password_file.read_text().strip()}@127.0.0.1:{port}"
    (run_row,) = _rows(f"{postgres}/dagster", "SELECT status FROM runs WHERE run_id = %s", run_id)
    assert run_row[0] == "SUCCESS"
    materialised = _rows(
        f"{postgres}/dagster",
        "SELECT DISTINCT asset_key FROM event_logs WHERE run_id = %s "
        "AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        run_id,
    )
    assert {json.loads(key)[0] for (key,) in materialised} == set(ASSETS)
    mlflow_runs = _rows(f"{postgres}/mlflow", "SELECT status FROM runs")
    assert ("FINISHED",) in mlflow_runs
    (champion,) = _rows(
        f"{postgres}/mlflow",
        "SELECT version FROM registered_model_aliases WHERE name = %s AND alias = 'champion'",
        REGISTERED_MODEL_NAME,
    )
    assert champion[0] == 1
