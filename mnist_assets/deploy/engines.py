"""The container engine that runs the bento: Docker when its daemon answers, else Podman.

Both take the same commands for what the deployment does (build, run, inspect, tag, remove), so
one small wrapper serves either.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINES = ("docker", "podman")
PROCESSES = "processes"  # the runner that is no engine: plain `bentoml serve` processes


class EngineError(RuntimeError):
    """A container engine command failed; the message carries its output."""


@dataclass(frozen=True)
class Engine:
    """One container engine's command line."""

    name: str

    def run(
        self,
        *args: str,
        timeout: float = 120,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> str:
        """``<engine> args...``; its stdout, or EngineError with its output when it fails.

        ``env``: the engine's environment (secrets reach a container by name from here).
        """
        done = subprocess.run(
            [self.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
        )
        if check and done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip())[-2000:]
            raise EngineError(f"{self.name} {' '.join(args[:2])} failed: {output}")
        return done.stdout

    def inspect(self, kind: str, ref: str) -> dict[str, Any] | None:
        """``<engine> <kind> inspect ref`` ("image" or "container"); None when there is none."""
        done = subprocess.run(
            [self.name, kind, "inspect", ref], capture_output=True, text=True, timeout=30
        )
        found = json.loads(done.stdout or "[]") if done.returncode == 0 else []
        return found[0] if found else None

    def image_exists(self, ref: str) -> bool:
        return self.inspect("image", ref) is not None

    def image_size(self, ref: str) -> int:
        """Bytes the image takes once unpacked."""
        return int((self.inspect("image", ref) or {"Size": 0})["Size"])

    def build(
        self,
        context: Path,
        tag: str,
        timeout: float = 1800,
        network: bool = False,
        build_args: dict[str, str] | None = None,
    ) -> None:
        """Build ``context``'s Containerfile, keeping no intermediate layers.

        Offline unless ``network`` (Debian's packages come from Debian's mirror).
        """
        args = ["build", "-f", str(context / "Containerfile"), "-t", tag]
        args += [] if network else ["--network", "none"]
        for name, value in (build_args or {}).items():
            args += ["--build-arg", f"{name}={value}"]
        if self.name == "podman":
            # The docker format keeps HEALTHCHECK; one layer per build, no cache left behind.
            args += ["--format", "docker", "--layers=false"]
        self.run(*args, str(context), timeout=timeout)

    def containers(self, label: str) -> list[str]:
        """Names of the containers, running or not, that carry ``label``."""
        names = self.run("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
        return names.split()

    def state(self, container: str) -> dict[str, Any] | None:
        """The container's ``State`` (Running, Pid, ...), or None when it does not exist."""
        found = self.inspect("container", container)
        return found["State"] if found else None

    def remove(self, container: str, grace_s: int = 20) -> bool:
        """Stop (SIGTERM, then SIGKILL after ``grace_s``) and remove; True if it existed."""
        if self.state(container) is None:
            return False
        self.run("stop", "-t", str(grace_s), container, check=False, timeout=grace_s + 30)
        self.run("rm", "-f", container, timeout=60)
        return True


def detect() -> tuple[Engine | None, str]:
    """The engine to use and why: Docker whose daemon answers, else a working Podman."""
    reasons = []
    for name in ENGINES:
        if shutil.which(name) is None:
            reasons.append(f"no {name} command")
            continue
        try:
            done = subprocess.run([name, "info"], capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            reasons.append(f"`{name} info` did not answer in 30 s")
            continue
        if done.returncode == 0:
            return Engine(name), f"`{name} info` answers"
        reasons.append(f"`{name} info` failed ({_first_line(done.stderr)})")
    return None, "; ".join(reasons)


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"


def runner_for(target: str) -> tuple[str, str]:
    """The runner for a deploy target ("auto", "container" or "local"), and why that one."""
    if target == "local":
        return PROCESSES, "asked for local processes"
    engine, why = detect()
    if engine is not None:
        return engine.name, why
    if target == "container":
        raise EngineError(f"no container engine works: {why}")
    return PROCESSES, f"no container engine works: {why}"
