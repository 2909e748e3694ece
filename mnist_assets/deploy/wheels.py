"""Wheels for an image, resolved on this machine.

This environment's versions are the constraints: the image runs what the tests ran, and its
build needs no network.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

from mnist_assets.deploy.engines import EngineError


def installed_versions() -> dict[str, str]:
    """Every distribution of this environment and its version."""
    return {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}


def constraints() -> str:
    """This environment's versions as a pip constraints file (the project itself left out)."""
    pinned = sorted(installed_versions().items())
    return "".join(f"{name}=={version}\n" for name, version in pinned if name != "mnist-assets")


def resolve_wheels(requirements: list[str], folder: Path) -> None:
    """Wheels of ``requirements`` and their dependencies, pinned to this environment's versions.

    They go into ``folder``, with the ``requirements.txt`` that installs them.
    """
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
    pins = folder.parent / "constraints.txt"
    pins.write_text(constraints())
    command = [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(folder)]
    command += ["-r", str(folder / "requirements.txt"), "-c", str(pins)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise EngineError(f"pip wheel failed: {done.stderr[-1500:]}")
