"""The images of the production compose file, each from its Containerfile in deploy/images/.

Built on the same base as the bento's image (mnist_assets.deploy.base_image: ``MNIST_BASE_IMAGE``,
a registry's Python image, or Debian's packages), tagged ``<name>:<version>`` with ``latest``
as an alias. The version is a digest of everything the build reads (Containerfile, base, the
Python versions resolved, the project's code), so an image already here is reused: the code
location's dependencies (PyTorch among them) are built once per machine and set of versions,
the code image on top of them whenever the code changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.deploy.engines import Engine, EngineError
from mnist_assets.deploy.image import ALIAS, Image
from mnist_assets.deploy.wheels import constraints, installed_versions, resolve_wheels
from mnist_assets.env import shipped_dir
from mnist_assets.settings import CHECKOUT

IMAGES_DIR = shipped_dir() / "deploy" / "images"
PROJECT = "mnist-assets"


@dataclass(frozen=True)
class Recipe:
    """One image: its name (and folder under deploy/images), what its build context holds."""

    name: str
    folder: str
    requirements: Callable[[], list[str]] | None = None  # Python wheels resolved into wheels/
    network: bool = False  # apt reads Debian's mirror during the build
    project: bool = False  # the project's own wheel into wheels/
    on: str | None = None  # the recipe whose image is this one's base (else the base image)


def project_requirements() -> list[str]:
    """What the project needs to run (dagster-docker among it), its extras left out."""
    declared = importlib.metadata.requires(PROJECT) or []
    return sorted({r.split(";")[0].strip() for r in declared if "extra ==" not in r})


def mlflow_requirements() -> list[str]:
    """MLflow's server as this environment has it, its Postgres driver, and uv (the installer)."""
    versions = installed_versions()
    return [f"{name}=={versions[name]}" for name in ("mlflow", "psycopg2-binary", "uv")]


RECIPES = {
    "code-deps": Recipe("mnist-assets-deps", "code-deps", requirements=project_requirements),
    "code": Recipe(PROJECT, "code", project=True, on="code-deps"),
    "mlflow": Recipe("mnist-mlflow", "mlflow", requirements=mlflow_requirements),
    "postgres": Recipe("mnist-postgres", "postgres", network=True),
    "prometheus": Recipe("mnist-prometheus", "prometheus", network=True),
}


def ensure_images(
    engine: Engine,
    base: Callable[[], str],
    names: tuple[str, ...] = tuple(RECIPES),
    say: Callable[[str], None] = print,
) -> dict[str, Image]:
    """Each named recipe's image, built unless here already (in order: a base before its users)."""
    images: dict[str, Image] = {}
    for name in names:
        recipe = RECIPES[name]
        if recipe.on is not None and recipe.on not in images:
            images[recipe.on] = ensure_image(engine, RECIPES[recipe.on], base(), say)
        start = images[recipe.on].ref if recipe.on else base()
        images[name] = ensure_image(engine, recipe, start, say)
    return images


def ensure_image(engine: Engine, recipe: Recipe, start: str, say: Callable[[str], None]) -> Image:
    """``recipe``'s image on ``start``, built unless its version is here; ``latest`` follows."""
    with tempfile.TemporaryDirectory(prefix=f"{recipe.name}-") as tmp:
        context = Path(tmp)
        shutil.copytree(IMAGES_DIR / recipe.folder, context, dirs_exist_ok=True)
        if recipe.project:
            _project_wheel(context / "wheels")
        ref = f"{recipe.name}:{_version(recipe, context, start)}"
        built = not engine.image_exists(ref)
        if built:
            if recipe.requirements is not None:
                resolve_wheels(recipe.requirements(), context / "wheels")
            started = time.monotonic()
            build_arg = "DEPS" if recipe.on else "BASE"
            engine.build(
                context, ref, timeout=3600, network=recipe.network, build_args={build_arg: start}
            )
            say(f"built {ref} in {time.monotonic() - started:.0f} s")
    engine.run("tag", ref, f"{recipe.name}:{ALIAS}")
    if built:
        _remove_superseded(engine, recipe.name, keep=ref)
    return Image(ref, engine.image_size(ref), built)


def _remove_superseded(engine: Engine, name: str, keep: str) -> None:
    """Earlier versions of ``name``, unless a container still uses one (then rmi refuses)."""
    listed = engine.run("images", "--format", "{{.Repository}}:{{.Tag}}", name, check=False)
    for ref in listed.split():
        tag = ref.rsplit(":", 1)[1]
        if tag not in (ALIAS, keep.rsplit(":", 1)[1]):
            engine.run("rmi", ref, check=False)


def _version(recipe: Recipe, context: Path, start: str) -> str:
    """A digest of what the build reads: the context's files, the base, the Python versions."""
    digest = hashlib.sha256(start.encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode())
        # A wheel's own RECORD (each file's sha256) stands for it: the zip holds timestamps.
        digest.update(_record(path) if path.suffix == ".whl" else path.read_bytes())
    if recipe.requirements is not None:
        digest.update("\n".join(recipe.requirements()).encode())
        digest.update(constraints().encode())
    return digest.hexdigest()[:16]


def _record(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        (record,) = (n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        return archive.read(record)


def _project_wheel(folder: Path) -> None:
    """The project's wheel, built from a copy of this checkout's files.

    Those git does not ignore: nothing stale in a build folder ends up in the wheel.
    """
    if CHECKOUT is None:
        raise EngineError("the code image is built from a checkout of mnist-assets")
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(CHECKOUT),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        raise EngineError(f"the code image is built from a git checkout: {listed.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="mnist-assets-source-") as tmp:
        source = Path(tmp)
        for name in filter(None, listed.stdout.split("\0")):
            if (CHECKOUT / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(CHECKOUT / name, source / name)
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        done = subprocess.run(
            [*command, "-w", str(folder), str(source)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise EngineError(f"building the project's wheel failed: {done.stderr[-1500:]}")
