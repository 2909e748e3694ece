"""`mnist-assets prod-up|prod-down|prod-status`: Dagster's production topology on this machine."""

import shutil
import sys

from mnist_assets.deploy.exposure import ExposureRefused, check_exposure
from mnist_assets.deploy.topology import Ports, Topology
from mnist_assets.settings import settings


def topology() -> Topology:
    """The topology the environment configures."""
    current = settings()
    return Topology(current.prod_run_dir, current.bind_host, Ports(**current.prod_ports))


def prod_up() -> int:
    """Start Postgres, MLflow, the code server, the webserver and the daemon."""
    prod = topology()
    try:
        check_exposure(prod.host, mlflow_server=True)
    except ExposureRefused as exc:
        print(f"prod-up: {exc}", file=sys.stderr)
        return 1
    prod.up()
    print(
        f"""production topology up (logs in {prod.run_dir / "logs"}):
  dagster UI  {prod.webserver_url}   (code server on port {prod.ports.code_server})
  mlflow      {prod.mlflow_url}   (backend store {prod.postgres.url("mlflow")})
  postgres    {prod.postgres.url("dagster")}"""
    )
    return 0


def prod_down(purge: bool = False) -> int:
    """Stop every process prod-up started; ``purge`` also deletes the Postgres cluster."""
    prod = topology()
    stopped = prod.down()
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    if purge and prod.postgres.data_dir.exists():
        shutil.rmtree(prod.postgres.data_dir)
        print(f"removed {prod.postgres.data_dir}")
    return 0


def prod_status() -> int:
    """Which production processes run."""
    running = topology().running()
    print(f"running: {', '.join(running) or 'nothing'}")
    return 0
