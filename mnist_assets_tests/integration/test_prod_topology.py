"""Dagster's production topology on a real Postgres, as processes of this machine and as the
containers of docker-compose.prod.yml: a materialisation launched through the webserver's GraphQL
API, as the UI's Materialise button does, lands in Postgres and the MLflow server's store; in
containers, the run executes in a container of its own that is gone when the run ends."""

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dagster_graphql import DagsterGraphQLClient
from mlflow.tracking import MlflowClient

from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.deploy.engines import detect
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.prod_compose import project_of, run_label
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.conftest import run
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN
from mnist_assets_tests.integration.waiting import wait_for

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


@pytest.fixture(params=["local", "container"])
def topology(
    request: pytest.FixtureRequest, cli_env: dict[str, str], tmp_path: Path
) -> Iterator[dict[str, str]]:
    """`mnist-assets prod-up --target <param>` on free ports and a throwaway run folder;
    prod-down after.

    The run folder sits where the postgres user can enter (pytest's own folders are 0700).
    """
    if request.param == "container" and detect()[0] is None:
        if os.environ.get("CI"):  # CI installs Podman (.ci/run): a missing engine is a failure
            pytest.fail(f"no container engine: {detect()[1]}")
        pytest.skip(f"no container engine: {detect()[1]}")
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
        if request.param == "container":  # every image of the compose file builds here
            print(run(["mnist-assets", "images"], REPO_ROOT, cli_env, 1800))
        output = run(
            ["mnist-assets", "prod-up", "--target", request.param], REPO_ROOT, cli_env, 1800
        )
        assert ("containers (" in output) == (request.param == "container"), output
        yield cli_env
    finally:
        run(["mnist-assets", "prod-down", "--purge"], REPO_ROOT, cli_env)
        compose = containers_of(prod)
        shutil.rmtree(prod, ignore_errors=True)
    assert compose == []  # prod-down leaves no container of the topology, and no run's


def containers_of(run_dir: Path) -> list[str]:
    """Every container, running or not, of the compose topology of ``run_dir`` and its runs."""
    engine, _ = detect()
    if engine is None:
        return []
    labels = (f"com.docker.compose.project={project_of(run_dir)}", run_label(run_dir))
    return [name for label in labels for name in engine.containers(label)]


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
    started = time.monotonic()
    run_id = client.submit_job_execution(
        "__ASSET_JOB",
        repository_location_name="mnist_assets",
        run_config=SHORT_RUN,
        asset_selection=ASSETS,
    )
    run_dir = Path(topology["MNIST_PROD_RUN_DIR"])
    in_containers = (run_dir / "runner").read_text().strip() == "containers"
    seen: set[str] = set()  # the run's container, observed while it exists
    deadline = time.monotonic() + 900
    while (status := client.get_run_status(run_id).value) not in ("SUCCESS", "FAILURE", "CANCELED"):
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        if in_containers:
            seen.update(_container_ids(run_dir))
        time.sleep(1)
    print(f"run {run_id}: {status} in {time.monotonic() - started:.0f} s")
    postgres = _postgres(topology)
    assert status == "SUCCESS", _failure(postgres, run_id)
    if in_containers:
        (tag,) = _rows(
            f"{postgres}/dagster",
            "SELECT value FROM run_tags WHERE run_id = %s AND key = 'docker/container_id'",
            run_id,
        )
        print(f"run container {tag[0]}")
        assert tag[0] in seen  # it existed, on this machine's engine, while the run ran
        # and goes once the run's process has exited
        wait_for(lambda: tag[0] not in _container_ids(run_dir), 60, "the run's container removed")
        assert list((run_dir / "volumes" / "data" / "bentoml" / "bentos").glob("mnist_service/*"))

    # Password authentication only: without the generated password nobody gets in.
    port = topology["MNIST_PROD_POSTGRES_PORT"]
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(f"postgresql://mnist@127.0.0.1:{port}/dagster").close()
    assert (run_dir / "postgres-password").stat().st_mode & 0o777 == 0o600
    cluster = run_dir / "volumes" / "postgres" if in_containers else run_dir / "postgres"
    assert (cluster / "PG_VERSION").is_file()
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

    if in_containers:  # prod-down then prod-up loses nothing: the state is on the host
        run(["mnist-assets", "prod-down"], REPO_ROOT, topology)
        run(["mnist-assets", "prod-up"], REPO_ROOT, topology, 600)
        assert client.get_run_status(run_id).value == "SUCCESS"
        mlflow = MlflowClient(f"http://127.0.0.1:{topology['MNIST_PROD_MLFLOW_PORT']}")
        served = mlflow.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
        assert served.version == "1"
        assert mlflow.list_artifacts(served.run_id)  # the artefacts, through the server


def _postgres(topology: dict[str, str]) -> str:
    password = (Path(topology["MNIST_PROD_RUN_DIR"]) / "postgres-password").read_text().strip()
    return f"postgresql://mnist:{password}@127.0.0.1:{topology['MNIST_PROD_POSTGRES_PORT']}"


def _container_ids(run_dir: Path) -> set[str]:
    """Ids of the containers the daemon launched for runs, now."""
    engine, _ = detect()
    assert engine is not None
    label = f"label={run_label(run_dir)}"
    listed = engine.run("ps", "-a", "--no-trunc", "--filter", label, "--format", "{{.ID}}")
    return set(listed.split())


def _failure(postgres: str, run_id: str) -> str:
    """The failed run's errors, from its events in the topology's Postgres."""
    events = _rows(
        f"{postgres}/dagster",
        "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type IN "
        "('STEP_FAILURE', 'RUN_FAILURE', 'PIPELINE_FAILURE', 'ENGINE_EVENT') ORDER BY id",
        run_id,
    )
    return "\n".join(event[:3000] for (event,) in events if '"error": {' in event)
