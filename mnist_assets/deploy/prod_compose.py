"""Dagster's production topology as containers: deploy/docker-compose.prod.yml.

Postgres, MLflow, the code server, the webserver and the daemon run from the images of
mnist_assets.deploy.prod_images, under Docker Compose or podman-compose. The daemon launches
each run in a container of the code image (DockerRunLauncher) through the engine's Docker API:
Docker's socket, or Podman's API service, which this module starts and stops with the
topology. Data, artefacts and Postgres live in folders under the run folder, so ``down`` then
``up`` loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from mnist_assets.deploy.base_image import base_image
from mnist_assets.deploy.engines import Engine, EngineError
from mnist_assets.deploy.probes import http_ok, wait_until
from mnist_assets.deploy.processes import Supervisor
from mnist_assets.deploy.prod_images import ensure_images
from mnist_assets.deploy.topology import CONFIG_DIR, READY_TIMEOUT_S, Topology
from mnist_assets.env import shipped_dir

COMPOSE_FILE = shipped_dir() / "deploy" / "docker-compose.prod.yml"
SERVICES = ("postgres", "mlflow", "code-server", "webserver", "daemon")
API = "engine-api"  # the supervised `podman system service`
DOCKER_SOCKET = Path("/var/run/docker.sock")
# The users the images run as own their folders: the code location and MLflow, and Postgres.
OWNERS = {"data": 1000, "postgres": 999}


def compose_command(engine: Engine) -> list[str] | None:
    """The compose command for ``engine``: ``docker compose``, or ``podman-compose``."""
    if engine.name == "podman":
        return ["podman-compose"] if shutil.which("podman-compose") else None
    done = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return ["docker", "compose"] if done.returncode == 0 else None


def project_of(run_dir: Path) -> str:
    """One compose project per run folder: the name of its containers, network and labels."""
    return f"mnist-prod-{hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:8]}"


def run_label(run_dir: Path) -> str:
    """The label of the containers the daemon launches for runs (run-launcher.docker.yaml)."""
    return f"mnist-assets.prod={project_of(run_dir)}"


@dataclass(frozen=True)
class ComposeTopology(Topology):
    """The topology of one run folder as compose containers on one engine.

    The same ports, Postgres password and URLs as the processes of :class:`Topology`.
    """

    engine: Engine
    compose: tuple[str, ...]

    @property
    def project(self) -> str:
        return project_of(self.run_dir)

    @property
    def volumes(self) -> Path:
        return self.run_dir / "volumes"

    @property
    def socket(self) -> Path:
        return self.run_dir / "podman.sock" if self.engine.name == "podman" else DOCKER_SOCKET

    def up(self, say: Callable[[str], None] = print) -> None:
        """Build or find the images, start the Docker API and the services; wait until ready."""
        images = ensure_images(
            self.engine, lambda: base_image(self.engine), ("code", "mlflow", "postgres"), say
        )
        for folder, owner in OWNERS.items():
            (self.volumes / folder).mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:  # else the folders are the user's, as the engine maps them
                os.chown(self.volumes / folder, owner, owner)
        self._write_instance()
        self._start_api()
        env = {
            **os.environ,
            "POSTGRES_PASSWORD": self.postgres.password(),
            "MNIST_PROD_RUN_DIR": str(self.run_dir.resolve()),
            "MNIST_CODE_IMAGE": images["code"].ref,  # the immutable tag, never latest
            "MNIST_MLFLOW_IMAGE": images["mlflow"].ref,
            "MNIST_POSTGRES_IMAGE": images["postgres"].ref,
            "MNIST_DOCKER_SOCKET": str(self.socket),
            "MNIST_DOCKER_SOCKET_GID": str(self.socket.stat().st_gid),
            "MNIST_BIND_HOST": self.host,
            "MNIST_PROD_POSTGRES_PORT": str(self.ports.postgres),
            "MNIST_PROD_MLFLOW_PORT": str(self.ports.mlflow),
            "MNIST_PROD_WEBSERVER_PORT": str(self.ports.webserver),
        }
        # The webserver and the daemon load the code location once, at start: the code server
        # answers first (compose's depends_on only orders the starts).
        alive = lambda: bool(self.running())  # noqa: E731
        self._compose(env, "up", "-d", *SERVICES[:3], timeout=600)
        wait_until(self._code_server_ready, READY_TIMEOUT_S, "code-server", alive)
        self._compose(env, "up", "-d", *SERVICES[3:], timeout=600)
        wait_until(lambda: http_ok(f"{self.mlflow_url}/health"), READY_TIMEOUT_S, "mlflow", alive)
        wait_until(
            lambda: http_ok(f"{self.webserver_url}/server_info"),
            READY_TIMEOUT_S,
            "webserver",
            alive,
        )

    def down(self) -> list[str]:
        """Remove the services' containers, any run container left, and the API service."""
        stopped = self.running()
        env = {**os.environ, "POSTGRES_PASSWORD": "-", "MNIST_PROD_RUN_DIR": str(self.run_dir)}
        self._compose(env, "down", timeout=300, check=False)
        self.engine.run("network", "rm", f"{self.project}_default", check=False)
        for container in self.run_containers():
            self.engine.remove(container)
        if Supervisor(self.run_dir).stop(API):
            stopped.append(API)
        return stopped

    def running(self) -> list[str]:
        """The services whose containers run."""
        label = f"com.docker.compose.project={self.project}"
        names = self.engine.run(
            "ps",
            "--filter",
            f"label={label}",
            "--format",
            '{{index .Labels "com.docker.compose.service"}}',
        ).split()
        return [name for name in SERVICES if name in names]

    def container(self, service: str) -> str | None:
        """The name of ``service``'s container (Compose and podman-compose name them apart)."""
        labels = (
            f"com.docker.compose.project={self.project}",
            f"com.docker.compose.service={service}",
        )
        filters = [arg for label in labels for arg in ("--filter", f"label={label}")]
        names = self.engine.run("ps", "-a", *filters, "--format", "{{.Names}}").split()
        return names[0] if names else None

    def _code_server_ready(self) -> bool:
        """Whether the code server's gRPC health check passes, run inside its container."""
        container = self.container("code-server")
        if container is None:
            return False
        health = ["dagster", "api", "grpc-health-check", "--port", "4266"]
        try:
            self.engine.run("exec", container, *health, timeout=60)
        except EngineError:
            return False
        return True

    def run_containers(self) -> list[str]:
        """The containers of runs the daemon launched, still there."""
        return self.engine.containers(run_label(self.run_dir))

    def _compose(self, env: dict[str, str], *args: str, timeout: float, check: bool = True) -> None:
        command = [*self.compose, "-p", self.project, "-f", str(COMPOSE_FILE), *args]
        # podman-compose fills in every service's variables, also of those that do not start.
        env = {"GRAFANA_ADMIN_PASSWORD": "unused: prod-up starts no Grafana", **env}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip())[-2000:]
            raise EngineError(f"{' '.join(command[:2])} {args[0]} failed: {output}")

    def _write_instance(self) -> None:
        """deploy/dagster/dagster.yaml with the run launcher of run-launcher.docker.yaml."""
        instance = yaml.safe_load((CONFIG_DIR / "dagster.yaml").read_text())
        launcher = (CONFIG_DIR / "run-launcher.docker.yaml").read_text()
        for placeholder, value in (
            ("<network>", f"{self.project}_default"),
            ("<data>", str((self.volumes / "data").resolve())),
            ("<project>", self.project),
        ):
            launcher = launcher.replace(placeholder, value)
        instance.update(yaml.safe_load(launcher))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "dagster.yaml").write_text(yaml.safe_dump(instance, sort_keys=False))

    def _start_api(self) -> None:
        """Podman's Docker-compatible API on the run folder's socket (Docker has its own)."""
        if self.engine.name != "podman":
            if not self.socket.exists():
                raise EngineError(f"Docker's API socket {self.socket} is missing")
            return
        supervisor = Supervisor(self.run_dir)
        if supervisor.pid(API) is None:
            self.socket.unlink(missing_ok=True)
            command = ["podman", "system", "service", "--time=0", f"unix://{self.socket}"]
            supervisor.start(API, command, cwd=self.run_dir)
        wait_until(
            self.socket.exists, 60, "podman system service", lambda: supervisor.pid(API) is not None
        )
        # Its owner and group, root, may use it: the webserver and the daemon run with group 0.
        self.socket.chmod(0o660)
