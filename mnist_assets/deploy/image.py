"""The OCI image of one bento: built from the bento itself, tagged with the bento's own version.

The build context holds a BentoML store with just that bento and its model, and the wheels of
the requirements the served runtime needs: an ONNX variant gets no PyTorch, the eager model no
ONNX Runtime (wheels resolved here: mnist_assets.deploy.wheels). Build-time code: it never ships
inside a bento.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bentoml

from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.wheels import resolve_wheels
from mnist_assets.serving.model_store import RUNTIME_LABEL
from mnist_assets.settings import settings

ALIAS = "latest"  # moves to whatever image serves; never used to start a container
USER_ID = 1034
# Packages only one runtime needs, keyed by what the other runtimes may leave out.
RUNTIME_ONLY = {"torch": "pytorch", "onnxruntime": "onnxruntime"}

CONTAINERFILE = """\
FROM {base}
RUN useradd --system --uid {uid} --user-group --create-home --home-dir /home/bentoml bentoml
RUN --mount=type=bind,source=wheels,target=/wheels \\
    python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels \\
        -r /wheels/requirements.txt \\
 && find /opt/venv -name __pycache__ -prune -exec rm -rf {{}} +
COPY --chown=bentoml:bentoml store /home/bentoml/bentoml
ENV PATH=/opt/venv/bin:$PATH BENTOML_HOME=/home/bentoml/bentoml \\
    BENTOML_HOST=0.0.0.0 BENTOML_PORT=3000 PYTHONDONTWRITEBYTECODE=1
LABEL org.opencontainers.image.title={name} mnist-assets.bento={bento} mnist-assets.model={model}
USER bentoml
WORKDIR /home/bentoml
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["python3", "-c", \\
    "import os, urllib.request as u; \\
u.urlopen('http://127.0.0.1:%s/readyz' % os.environ['BENTOML_PORT'], timeout=4)"]
CMD ["bentoml", "serve", "{bento}"]
"""


@dataclass(frozen=True)
class Image:
    """A service image: its reference, size and whether this call built it."""

    ref: str
    size_bytes: int
    built: bool


def image_ref(bento_tag: str) -> str:
    """``mnist-service:<bento version>``: immutable, one image per bento."""
    return f"{settings().image_name}:{bento_tag.split(':', 1)[1]}"


def alias_ref() -> str:
    """``mnist-service:latest``, the alias that follows the live image."""
    return f"{settings().image_name}:{ALIAS}"


def ensure_image(
    engine: Engine, bento_tag: str, base: Callable[[], str], say: Callable[[str], None] = print
) -> Image:
    """The bento's image, built unless ``engine`` has it already (``base`` only then asked)."""
    ref = image_ref(bento_tag)
    if engine.image_exists(ref):
        return Image(ref, engine.image_size(ref), built=False)
    bento = bentoml.bentos.get(bento_tag)
    with tempfile.TemporaryDirectory(prefix="mnist-image-") as tmp:
        context = Path(tmp)
        model_tag = lay_out(bento, context / "store")
        runtime = bentoml.models.get(model_tag).info.labels.get(RUNTIME_LABEL, "pytorch")
        requirements = needed(_requirements(bento), runtime)
        resolve_wheels(requirements, context / "wheels")
        (context / "Containerfile").write_text(
            CONTAINERFILE.format(
                base=base(),
                uid=USER_ID,
                name=settings().image_name,
                bento=bento.tag,
                model=model_tag,
            )
        )
        say(f"building {ref} ({runtime}: {', '.join(_names(requirements))})")
        engine.build(context, ref)
    return Image(ref, engine.image_size(ref), built=True)


def lay_out(bento: bentoml.Bento, store: Path) -> str:
    """A BentoML store in ``store`` with the bento and the one model it serves; the model tag."""
    (model,) = bento.info.all_models
    shutil.copytree(bento.path, store / "bentos" / str(bento.tag).replace(":", "/"))
    source = bentoml.models.get(str(model.tag)).path
    shutil.copytree(source, store / "models" / str(model.tag).replace(":", "/"))
    return str(model.tag)


def needed(requirements: list[str], runtime: str) -> list[str]:
    """``requirements`` less the packages only another runtime needs."""
    return [
        line
        for line in requirements
        if (only := RUNTIME_ONLY.get(_name(line))) is None or runtime.startswith(only)
    ]


def _requirements(bento: bentoml.Bento) -> list[str]:
    lines = (Path(bento.path) / "env" / "python" / "requirements.txt").read_text().splitlines()
    return sorted({line.strip() for line in lines if line.strip() and not line.startswith("#")})


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def _names(requirements: list[str]) -> list[str]:
    return [_name(r) for r in requirements]
