"""What runs a bento in a blue/green slot: a `bentoml serve` process, or the bento's container.

Either way the slot serves on a loopback port of its own behind the gateway, answers /readyz
before it counts as started, and stops when asked; the deployment does not care which.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mnist_assets.deploy.base_image import base_image
from mnist_assets.deploy.bentos import server_home
from mnist_assets.deploy.engines import PROCESSES, Engine, EngineError
from mnist_assets.deploy.image import alias_ref, ensure_image, image_ref
from mnist_assets.deploy.probes import free_port, http_ok, wait_until
from mnist_assets.deploy.processes import Supervisor
from mnist_assets.deploy.review_token import REVIEW_TOKEN_ENV, review_token
from mnist_assets.settings import settings

SECRETS = ("MNIST_API_TOKEN",)  # passed to containers by name, never written into a command


class SlotFailed(RuntimeError):
    """A slot did not get ready (the deployment adds the tail of its log)."""


class Slots(Protocol):
    """Starts, checks and stops the bento of a slot."""

    @property
    def name(self) -> str: ...  # "processes", "docker" or "podman"

    def start(self, slot: str, bento: str) -> int: ...  # the port it serves on, once ready

    def running(self, slot: str) -> bool: ...

    def stop(self, slot: str) -> bool: ...

    def describe(self, slot: str) -> str: ...

    def went_live(self, bento: str) -> None: ...  # the gateway routes to ``bento`` now

    def logs(self, slot: str) -> str: ...  # where the slot's log is: a file or a command

    def log_tail(self, slot: str) -> str: ...


@dataclass(frozen=True)
class ProcessSlots:
    """Each slot a `bentoml serve` process with a BentoML home of its own (see server_home)."""

    run_dir: Path
    name: str = PROCESSES

    def start(self, slot: str, bento: str) -> int:
        supervisor, process = Supervisor(self.run_dir), f"bento-{slot}"
        supervisor.stop(process)  # a leftover of an attempt that never went live
        port = free_port()
        bentoml_cli = str(Path(sys.executable).parent / "bentoml")
        command = [bentoml_cli, "serve", bento, "--host", "127.0.0.1", "--port", str(port)]
        self.run_dir.mkdir(parents=True, exist_ok=True)
        home = server_home(self.run_dir / "slots" / process)
        slot_env = {**os.environ, "BENTOML_HOME": str(home)}
        slot_env[REVIEW_TOKEN_ENV] = review_token(self.run_dir)
        supervisor.start(process, command, env=slot_env, cwd=self.run_dir)
        _wait_ready(port, f"bento {bento}", lambda: self.running(slot))
        return port

    def running(self, slot: str) -> bool:
        return Supervisor(self.run_dir).pid(f"bento-{slot}") is not None

    def stop(self, slot: str) -> bool:
        return Supervisor(self.run_dir).stop(f"bento-{slot}")

    def describe(self, slot: str) -> str:
        pid = Supervisor(self.run_dir).pid(f"bento-{slot}")
        return f"pid {pid}" if pid else "not running"

    def went_live(self, bento: str) -> None:
        pass  # nothing to follow the live release

    def logs(self, slot: str) -> str:
        return str(Supervisor(self.run_dir).log_file(f"bento-{slot}"))

    def log_tail(self, slot: str) -> str:
        log = Supervisor(self.run_dir).log_file(f"bento-{slot}")
        return f"{log}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])


@dataclass(frozen=True)
class ContainerSlots:
    """Each slot a container of the bento's image, on the host's network, port chosen here."""

    run_dir: Path
    engine: Engine
    say: Callable[[str], None] = lambda line: print(f"    {line}")  # under the deploy's step

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def label(self) -> str:
        """The label of this deployment's containers (one deployment per run folder)."""
        digest = hashlib.sha256(str(self.run_dir.resolve()).encode()).hexdigest()[:10]
        return f"mnist-assets.deployment={digest}"

    def container(self, slot: str) -> str:
        return f"mnist-{self.label.rsplit('=', 1)[1]}-{slot}"

    def start(self, slot: str, bento: str) -> int:
        image = ensure_image(self.engine, bento, lambda: base_image(self.engine, self.say))
        if image.built:
            self.say(f"built {image.ref}: {image.size_bytes / 1e6:.0f} MB")
        self.engine.remove(self.container(slot))  # a leftover of an attempt that never went live
        port = free_port()
        args = ["run", "-d", "--name", self.container(slot), "--label", self.label]
        args += ["--network", "host", "--restart", "unless-stopped"]
        args += log_options(self.engine.name)
        args += ["-e", "BENTOML_HOST=127.0.0.1", "-e", f"BENTOML_PORT={port}"]
        secrets = {name: os.environ[name] for name in SECRETS if name in os.environ}
        secrets[REVIEW_TOKEN_ENV] = review_token(self.run_dir)
        args += [f"--env={name}" for name in secrets]  # each value from the engine's environment
        if self.engine.name == "podman" and not Path("/run/systemd/system").is_dir():
            args += ["--health-interval", "disable"]  # no systemd timers; /readyz is polled here
        self.engine.run(*args, image.ref, timeout=120, env={**os.environ, **secrets})
        _wait_ready(port, f"container {image.ref}", lambda: self.running(slot))
        return port

    def went_live(self, bento: str) -> None:
        """``latest`` follows the live image."""
        self.engine.run("tag", image_ref(bento), alias_ref(), timeout=30)

    def running(self, slot: str) -> bool:
        state = self.engine.state(self.container(slot))
        return bool(state and state.get("Running"))

    def stop(self, slot: str) -> bool:
        return self.engine.remove(self.container(slot))

    def stop_all(self) -> list[str]:
        """Remove every container of this deployment; their names."""
        names = self.engine.containers(self.label)
        return [name for name in names if self.engine.remove(name)]

    def describe(self, slot: str) -> str:
        found = self.engine.inspect("container", self.container(slot))
        if found is None:
            return f"no container {self.container(slot)}"
        state = "running" if found["State"].get("Running") else "not running"
        return f"container {self.container(slot)} ({state}), image {found['Config']['Image']}"

    def logs(self, slot: str) -> str:
        return f"{self.engine.name} logs {self.container(slot)}"

    def log_tail(self, slot: str) -> str:
        tail = self.engine.run("logs", "--tail", "20", self.container(slot), check=False)
        return f"`{self.logs(slot)}`:\n{tail}"


def log_options(engine: str) -> list[str]:
    """A size cap on the container's log: Docker's json-file keeps 3 files, Podman truncates."""
    cap = [f"--log-opt=max-size={settings().log_max_bytes}"]
    return [*cap, "--log-opt=max-file=3"] if engine == "docker" else cap


def _wait_ready(port: int, what: str, alive: Callable[[], bool]) -> None:
    try:
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{port}/readyz"),
            settings().ready_timeout_s,
            what,
            alive=alive,
        )
    except (RuntimeError, TimeoutError, EngineError) as exc:
        raise SlotFailed(str(exc)) from exc
