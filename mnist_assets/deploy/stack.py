"""The local deployment: a bento behind the nginx gateway, scraped by Prometheus.

Bentos run in two slots, blue and green, as processes or as containers (deploy.slots). A new
bento starts in the idle slot, and only once it answers /readyz does the gateway switch to it
and the old slot stop; if it never gets ready, the old one keeps serving and nothing changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.deploy.engines import ENGINES, PROCESSES, Engine, EngineError
from mnist_assets.deploy.files import change_lock
from mnist_assets.deploy.gateway import Gateway
from mnist_assets.deploy.probes import auth_headers, http_ok, port_in_use, wait_until
from mnist_assets.deploy.processes import Supervisor
from mnist_assets.deploy.slots import (
    ContainerSlots,
    ProcessSlots,
    SlotFailed,
    Slots,
)
from mnist_assets.deploy.state import DeployState, Release
from mnist_assets.monitoring.prometheus import Prometheus
from mnist_assets.settings import settings

GATEWAY, PROMETHEUS = "gateway", "prometheus"
SLOTS = ("blue", "green")


def lock_timeout_s() -> float:
    """How long a change waits for another's lock: that one may be waiting for its bento."""
    return 2.0 * settings().ready_timeout_s


class DeployError(RuntimeError):
    """A release could not go live; whatever served before still serves."""


@dataclass(frozen=True)
class Deployment:
    """Where the local deployment keeps its files and which addresses it serves."""

    run_dir: Path
    host: str
    port: int
    prometheus_port: int

    @classmethod
    def from_environment(cls) -> Deployment:
        current = settings()
        return cls(
            current.run_dir, current.bind_host, current.service_port, current.prometheus_port
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.run_dir)

    @property
    def prometheus(self) -> Prometheus:
        return Prometheus(self.run_dir, self.host, self.prometheus_port)

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    def state(self) -> DeployState:
        return DeployState.load(self.state_file)

    def slots(self, runner: str) -> Slots:
        """What runs the slots for ``runner``: "processes", or a container engine's name."""
        if runner == PROCESSES:
            return ProcessSlots(self.run_dir)
        return ContainerSlots(self.run_dir, Engine(runner))

    def choose_runner(self, runner: str) -> None:
        """Run the next release with ``runner`` (the live one moves at the next serve)."""
        with change_lock(self.run_dir, lock_timeout_s()):
            state = self.state()
            state.target = runner
            state.save(self.state_file)

    def is_live(self, bento: str) -> bool:
        """Whether ``bento`` serves now, run as chosen, through a running gateway."""
        state = self.state()
        live = state.live
        return (
            live is not None
            and live.bento == bento
            and live.runner == state.target
            and self.slots(live.runner).running(live.slot)
            and self.supervisor.pid(GATEWAY) is not None
            and http_ok(f"{self.url}/readyz")
        )

    def serve(self, bento: str, model_version: str, rollback: bool = False) -> Release:
        """Make ``bento`` the live release (a no-op when it already serves).

        Holds the deployment's lock: no other deploy, rollback or undeploy interleaves.
        """
        with change_lock(self.run_dir, lock_timeout_s()):
            return self._serve(bento, model_version, rollback)

    def _serve(self, bento: str, model_version: str, rollback: bool) -> Release:
        state = self._reconciled(self.state())
        if self.is_live(bento) and state.live is not None:
            return state.live
        slot = SLOTS[1] if state.live and state.live.slot == SLOTS[0] else SLOTS[0]
        slots = self.slots(state.target)
        port = self._start_bento(slots, slot, bento)
        try:
            self._route(port)
        except Exception as exc:  # the old release serves on; nothing of this attempt stays
            self._route_back(state.live)
            slots.stop(slot)
            if isinstance(exc, DeployError):
                raise
            raise DeployError(f"{exc}; the previous release keeps serving") from exc
        if state.live is not None and state.live.slot != slot:
            time.sleep(1.0)  # let requests already sent to the old bento finish
            self.slots(state.live.runner).stop(state.live.slot)
        release = Release(bento, model_version, slot, port, runner=slots.name)
        slots.went_live(bento)
        state.roll_back(release) if rollback else state.go_live(release)
        state.save(self.state_file)
        return release

    def monitor(self) -> None:
        """Prometheus scraping the gateway, started or reloaded; waits for the target to be up."""
        prometheus = self.prometheus
        prometheus.write_config(f"{self.host}:{self.port}")
        if self.supervisor.pid(PROMETHEUS) is None:
            self._check_port_free(self.prometheus_port, "MNIST_PROMETHEUS_PORT")
            self.supervisor.start(PROMETHEUS, prometheus.command(), cwd=self.run_dir)
        elif (pid := self.supervisor.pid(PROMETHEUS)) is not None:
            os.kill(pid, signal.SIGHUP)  # reloads its configuration and rules
        wait_until(
            prometheus.target_up,
            120,
            f"Prometheus target {self.url} (log: {self.supervisor.log_file(PROMETHEUS)})",
            alive=lambda: self.supervisor.pid(PROMETHEUS) is not None,
        )

    def stop(self) -> list[str]:
        """Stop every process and container this deployment started; the names that ran."""
        with change_lock(self.run_dir, lock_timeout_s()):
            stopped = [name for name in self.supervisor.names() if self.supervisor.stop(name)]
            for engine in (Engine(name) for name in ENGINES if shutil.which(name)):
                # A docker client without a daemon started nothing: its error is no failure.
                with contextlib.suppress(EngineError):
                    stopped += ContainerSlots(self.run_dir, engine).stop_all()
            return stopped

    def roll_back(self) -> Release:
        """Serve the release that served before the live one; history read under the lock."""
        with change_lock(self.run_dir, lock_timeout_s()):
            state = self._reconciled(self.state())
            if not state.history:
                raise DeployError("no earlier release to go back to")
            previous = state.history[-1]
            return self._serve(previous.bento, previous.model_version, rollback=True)

    def _route_back(self, live: Release | None) -> None:
        """After a failed swap: the gateway on the live release's port again, if it moved."""
        gateway = Gateway(self.run_dir, self.host, self.port)
        if live is None or gateway.routed_port() in (None, live.port):
            return
        gateway.write_config(live.port)
        if self.supervisor.pid(GATEWAY) is not None:
            gateway.reload()

    def _reconciled(self, state: DeployState) -> DeployState:
        """The state as the gateway routes it.

        A deploy killed after the gateway moved to its new slot but before it recorded that
        left the state naming the old one: the slot the gateway routes to, running and
        answering, is what serves, so it is recorded as live before anything else moves.
        """
        routed = Gateway(self.run_dir, self.host, self.port).routed_port()
        if routed is None or (state.live is not None and state.live.port == routed):
            return state
        serving = served_model(f"http://127.0.0.1:{routed}")
        recorded = state.live.slot if state.live else None
        slots = self.slots(state.target)
        running = [s for s in SLOTS if s != recorded and slots.running(s)]
        if serving is None or len(running) != 1:
            return state  # nothing answers there: the swap below starts afresh
        bento, version = str(serving.get("bento", "")), str(serving.get("model_version", ""))
        state.go_live(Release(bento, version, running[0], routed, runner=slots.name))
        state.save(self.state_file)
        return state

    def _start_bento(self, slots: Slots, slot: str, bento: str) -> int:
        try:
            return slots.start(slot, bento)
        except (SlotFailed, EngineError) as exc:
            tail = slots.log_tail(slot)
            slots.stop(slot)
            raise DeployError(f"{exc}; the previous release keeps serving. {tail}") from exc

    def _route(self, port: int) -> None:
        """Point the gateway at ``port`` and wait until it answers from there."""
        expected = served_model(f"http://127.0.0.1:{port}")
        if expected is None:  # e.g. a token the deploy does not know: nothing to compare with
            raise DeployError(f"the new bento on port {port} does not answer /model/info")
        gateway = Gateway(self.run_dir, self.host, self.port)
        gateway.write_config(port)
        if self.supervisor.pid(GATEWAY) is None:
            self._check_port_free(self.port, "MNIST_SERVICE_PORT")
            self.supervisor.start(GATEWAY, gateway.command(), cwd=self.run_dir)
        else:
            gateway.reload()
        wait_until(
            lambda: served_model(self.url) == expected,
            30,
            f"gateway {self.url}",
            alive=lambda: self.supervisor.pid(GATEWAY) is not None,
        )

    def _check_port_free(self, port: int, setting: str) -> None:
        if port_in_use(self.host, port):
            raise DeployError(
                f"{self.host}:{port} is taken by another program: stop it or set {setting}"
            )


def served_model(url: str) -> dict[str, object] | None:
    """What ``url`` serves (with the API token when one is set), None when it does not answer."""
    request = urllib.request.Request(f"{url}/model/info", headers=auth_headers())
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # nosec B310
            info: dict[str, object] = json.loads(response.read())
            return info
    except (OSError, ValueError):
        return None
