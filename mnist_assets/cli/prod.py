"""`mnist-assets prod-up|prod-down|prod-status|images`: Dagster's production topology."""

import shutil
import sys

from mnist_assets.deploy.engines import EngineError, detect
from mnist_assets.deploy.exposure import ExposureRefused, check_exposure, is_loopback
from mnist_assets.deploy.prod_compose import ComposeTopology, compose_command
from mnist_assets.deploy.topology import Ports, Topology
from mnist_assets.settings import settings

RUNNER_FILE = "runner"  # in the run folder: "containers" or "processes", what prod-up chose


def topology() -> Topology:
    """The host-process topology the environment configures."""
    current = settings()
    return Topology(current.prod_run_dir, current.bind_host, Ports(**current.prod_ports))


def containers(target: str = "auto") -> tuple[ComposeTopology | None, str]:
    """The compose topology when ``target`` allows it and an engine and compose work; and why."""
    if target == "local":
        return None, "asked for processes"
    if not is_loopback(settings().bind_host):
        # The processes run MLflow's basic-auth app beyond loopback; the compose file does not.
        why = f"MNIST_BIND_HOST={settings().bind_host}: the containers' MLflow binds loopback only"
        if target == "container":
            raise EngineError(f"no container topology: {why}")
        return None, why
    engine, why = detect()
    compose = compose_command(engine) if engine is not None else None
    if engine is not None and compose is None:
        why = f"{engine.name} works but neither `docker compose` nor podman-compose is here"
    if engine is None or compose is None:
        if target == "container":
            raise EngineError(f"no container topology: {why}")
        return None, why
    prod = topology()
    return ComposeTopology(prod.run_dir, prod.host, prod.ports, engine, tuple(compose)), why


def _chosen() -> ComposeTopology | None:
    """The compose topology if that is what prod-up started here."""
    runner = topology().run_dir / RUNNER_FILE
    if runner.is_file() and runner.read_text().strip() == "containers":
        return containers("container")[0]
    return None


def prod_up(target: str = "auto") -> int:
    """Start Postgres, MLflow, the code server, the webserver and the daemon."""
    prod = topology()
    try:
        check_exposure(prod.host, mlflow_server=True)
        compose, why = containers(target)
    except (ExposureRefused, EngineError) as exc:
        print(f"prod-up: {exc}", file=sys.stderr)
        return 1
    prod.run_dir.mkdir(parents=True, exist_ok=True)
    if compose is not None:
        print(f"prod-up: containers ({' '.join(compose.compose)}, {why})")
        (prod.run_dir / RUNNER_FILE).write_text("containers\n")
        try:
            compose.up()
        except EngineError as exc:
            print(f"prod-up: {exc}", file=sys.stderr)
            return 1
        where = f"{compose.engine.name} logs {compose.project}_daemon_1 (and each service)"
        launcher = f"each run in a container of its own ({compose.engine.name}, DockerRunLauncher)"
    else:
        print(f"prod-up: processes of this machine ({why})")
        (prod.run_dir / RUNNER_FILE).write_text("processes\n")
        prod.up()
        where, launcher = str(prod.run_dir / "logs"), "each run a process of this machine"
    print(
        f"""production topology up (logs: {where}):
  dagster UI  {prod.webserver_url}   ({launcher})
  mlflow      {prod.mlflow_url}   (backend store {prod.postgres.url("mlflow")})
  postgres    {prod.postgres.url("dagster")}"""
    )
    return 0


def prod_down(purge: bool = False) -> int:
    """Stop everything prod-up started; ``purge`` also deletes Postgres's data."""
    prod, compose = topology(), _chosen()
    stopped = compose.down() if compose is not None else prod.down()
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    data = compose.volumes / "postgres" if compose is not None else prod.postgres.data_dir
    if purge and data.exists():
        shutil.rmtree(data)
        print(f"removed {data}")
    return 0


def prod_status() -> int:
    """Which production processes or containers run."""
    compose = _chosen()
    running = compose.running() if compose is not None else topology().running()
    print(f"running: {', '.join(running) or 'nothing'}")
    return 0


def images() -> int:
    """Build (or find) every image of the production compose file; print each one's size."""
    from mnist_assets.deploy.base_image import base_image
    from mnist_assets.deploy.prod_images import ensure_images

    engine, why = detect()
    if engine is None:
        print(f"images: no container engine works: {why}", file=sys.stderr)
        return 1
    try:
        built = ensure_images(engine, lambda: base_image(engine))
    except EngineError as exc:
        print(f"images: {exc}", file=sys.stderr)
        return 1
    for image in built.values():
        state = "built" if image.built else "here already"
        print(f"  {image.ref:<40} {image.size_bytes / 1e6:>6,.0f} MB  ({state}, also :latest)")
    return 0
