"""The base image the service image is built on.

``MNIST_BASE_IMAGE`` names it when set. Otherwise the usual Python slim image, when it is here
already or a registry gives it; where no registry answers, a Debian bookworm base built from
Debian's own packages (debootstrap, then an import), once, and kept for every later build.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from mnist_assets.deploy.engines import Engine, EngineError
from mnist_assets.settings import settings

REGISTRY_BASE = "docker.io/library/python:3.11-slim-bookworm"
DEBIAN_BASE = "localhost/mnist-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# What the service needs of the system: Python with venv (pip comes with it), nothing else.
DEBIAN_PACKAGES = ("python3", "python3-venv")
# Left out of the base: package caches and lists, documentation, translations.
PRUNED = (
    *("var/cache/apt", "var/lib/apt/lists"),
    *("usr/share/doc", "usr/share/man", "usr/share/locale"),
)


def base_image(engine: Engine, say: Callable[[str], None] = print) -> str:
    """The base image reference, present in ``engine``'s store (pulled or built if need be)."""
    if configured := settings().base_image:
        if not engine.image_exists(configured):
            engine.run("pull", configured, timeout=900)
        say(f"base image {configured} (MNIST_BASE_IMAGE)")
        return configured
    if engine.image_exists(REGISTRY_BASE):
        return REGISTRY_BASE
    if engine.image_exists(DEBIAN_BASE):
        return DEBIAN_BASE
    try:
        engine.run("pull", REGISTRY_BASE, timeout=900)
        say(f"base image {REGISTRY_BASE} (pulled)")
        return REGISTRY_BASE
    except (EngineError, subprocess.TimeoutExpired) as exc:
        reason = str(exc).rsplit(": ", 1)[-1]
        say(f"no registry gives {REGISTRY_BASE} ({reason}); building {DEBIAN_BASE}")
    build_debian_base(engine)
    return DEBIAN_BASE


def build_debian_base(engine: Engine, tag: str = DEBIAN_BASE) -> None:
    """Debian bookworm (minbase) with Python, from Debian's packages, imported as ``tag``."""
    if shutil.which("debootstrap") is None:
        raise EngineError(
            "building the base image needs debootstrap (apt-get install debootstrap), "
            "or set MNIST_BASE_IMAGE to an image you have"
        )
    with tempfile.TemporaryDirectory(prefix="mnist-base-") as tmp:
        root = Path(tmp) / "rootfs"
        command = ["debootstrap", "--variant=minbase", f"--include={','.join(DEBIAN_PACKAGES)}"]
        done = subprocess.run(
            [*command, "bookworm", str(root), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if done.returncode != 0:
            raise EngineError(f"debootstrap failed: {done.stdout[-1500:]}{done.stderr[-500:]}")
        for path in PRUNED:
            shutil.rmtree(root / path, ignore_errors=True)
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [engine.name, "import", "--change", 'CMD ["/bin/bash"]', "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        tar.wait()
        if imported.returncode != 0:
            raise EngineError(f"{engine.name} import failed: {imported.stderr[-1000:]}")
