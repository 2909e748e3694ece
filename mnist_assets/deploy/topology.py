"""Dagster's production architecture on one machine.

Postgres, a gRPC code server, the webserver and the daemon as their own processes, and MLflow
with its backend store on the same Postgres.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.deploy.exposure import is_loopback
from mnist_assets.deploy.postgres import Postgres
from mnist_assets.deploy.probes import http_ok, port_in_use, wait_until
from mnist_assets.deploy.processes import Supervisor
from mnist_assets.env import shipped_dir

CONFIG_DIR = shipped_dir() / "deploy" / "dagster"
# Started in this order, stopped in reverse.
PROCESSES = ("postgres", "mlflow", "code-server", "webserver", "daemon")
READY_TIMEOUT_S = 180  # imports of torch, MLflow and Dagster on 2 cores


@dataclass(frozen=True)
class Ports:
    """Where each server listens (defaults: mnist_assets.settings.Settings.prod_ports)."""

    postgres: int
    mlflow: int
    code_server: int
    webserver: int


@dataclass(frozen=True)
class Topology:
    """The production processes of one run folder."""

    run_dir: Path  # everything the topology writes: pid files, logs, DAGSTER_HOME, artifacts
    host: str
    ports: Ports

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.run_dir)

    @property
    def postgres(self) -> Postgres:
        return Postgres(self.run_dir, self.host, self.ports.postgres)

    @property
    def dagster_home(self) -> Path:
        return self.run_dir / "dagster_home"

    @property
    def webserver_url(self) -> str:
        return f"http://{self.host}:{self.ports.webserver}"

    @property
    def mlflow_url(self) -> str:
        return f"http://{self.host}:{self.ports.mlflow}"

    def environment(self) -> dict[str, str]:
        """What every process sees: the instance, Postgres, and MLflow as tracking server."""
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            "DAGSTER_PG_URL": self.postgres.url("dagster", driver="psycopg2"),
            "MLFLOW_TRACKING_URI": self.mlflow_url,
            # mlflow server reads its store from here: the password stays out of `ps`.
            "MLFLOW_BACKEND_STORE_URI": self.postgres.url("mlflow", driver="psycopg2"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def up(self) -> None:
        """Start whatever is not running yet, each once the one it needs answers."""
        running = set(self.running())
        for name, port in zip(PROCESSES, self._ports(), strict=True):
            if name not in running and port is not None and port_in_use(self.host, port):
                raise RuntimeError(f"{name}: port {port} on {self.host} is already taken")
        self._write_config()
        env, bin_dir = self.environment(), Path(sys.executable).parent
        if "postgres" not in running:
            self.postgres.init()
            self.supervisor.start("postgres", self.postgres.command())
        self._wait("postgres", self.postgres.ready)
        for database in ("dagster", "mlflow"):
            self.postgres.ensure_database(database)
        commands = {
            "mlflow": [
                str(bin_dir / "mlflow"), "server",
                "--artifacts-destination", str(self.run_dir / "mlartifacts"),
                "--host", self.host, "--port", str(self.ports.mlflow),
            ],
            "code-server": [
                str(bin_dir / "dagster"), "api", "grpc",
                "--module-name", "mnist_assets.definitions",
                "--host", self.host, "--port", str(self.ports.code_server),
            ],
            "webserver": [
                str(bin_dir / "dagster-webserver"),
                "-w", str(self.run_dir / "workspace.yaml"),
                "-h", self.host, "-p", str(self.ports.webserver),
            ],
            "daemon": [
                str(bin_dir / "dagster-daemon"), "run",
                "-w", str(self.run_dir / "workspace.yaml"),
            ],
        }  # fmt: skip
        if not is_loopback(self.host):  # check_exposure made sure the admin's credentials exist
            commands["mlflow"] += ["--app-name", "basic-auth"]
            env = {**env, **self._mlflow_auth()}
        # The webserver and the daemon load the code location from the code server: start it first.
        for group in (("mlflow", "code-server"), ("webserver", "daemon")):
            for name in group:
                if name not in running:
                    self.supervisor.start(name, commands[name], env=env, cwd=self.run_dir)
            if group[0] == "mlflow":
                self._wait("code-server", self._code_server_ready)
        self._wait("mlflow", lambda: http_ok(f"{self.mlflow_url}/health"))
        self._wait("webserver", lambda: http_ok(f"{self.webserver_url}/server_info"))

    def _mlflow_auth(self) -> dict[str, str]:
        """MLflow's basic-auth app: its users in the run folder, the admin from the environment.

        Clients (the code server's and the daemon's runs) log in with the same
        ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.
        """
        config = self.run_dir / "mlflow-auth.ini"
        config.write_text(
            "[mlflow]\ndefault_permission = NO_PERMISSIONS\n"
            f"database_uri = sqlite:///{self.run_dir / 'mlflow-auth.db'}\n"
            f"admin_username = {os.environ['MLFLOW_TRACKING_USERNAME']}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        )
        return {
            "MLFLOW_AUTH_CONFIG_PATH": str(config),
            "MLFLOW_AUTH_ADMIN_PASSWORD": os.environ["MLFLOW_TRACKING_PASSWORD"],
        }

    def _wait(self, name: str, check: Callable[[], bool]) -> None:
        alive = lambda: self.supervisor.pid(name) is not None  # noqa: E731
        wait_until(check, READY_TIMEOUT_S, name, alive)

    def _code_server_ready(self) -> bool:
        command = [str(Path(sys.executable).parent / "dagster"), "api", "grpc-health-check"]
        command += ["--host", self.host, "--port", str(self.ports.code_server)]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def down(self) -> list[str]:
        """Stop every process of the topology; returns the names that were running."""
        return [name for name in reversed(PROCESSES) if self.supervisor.stop(name)]

    def running(self) -> list[str]:
        return [name for name in PROCESSES if self.supervisor.pid(name) is not None]

    def _ports(self) -> list[int | None]:
        p = self.ports
        return [p.postgres, p.mlflow, p.code_server, p.webserver, None]

    def _write_config(self) -> None:
        """The instance config into DAGSTER_HOME, and the workspace with this code-server port."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(CONFIG_DIR / "dagster.yaml", self.dagster_home / "dagster.yaml")
        workspace = (CONFIG_DIR / "workspace.yaml").read_text()
        workspace = workspace.replace("host: 127.0.0.1", f"host: {self.host}")
        workspace = workspace.replace("port: 4266", f"port: {self.ports.code_server}")
        (self.run_dir / "workspace.yaml").write_text(workspace)
