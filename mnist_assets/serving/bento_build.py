"""Build (or reuse) the bento that serves one stored model."""

import hashlib
from pathlib import Path

import bentoml
import yaml
from bentoml._internal.configuration.containers import BentoMLContainer

from mnist_assets.constants import BENTO_SERVICE_NAME

MODEL_LABEL = "bento_model"  # the bento label naming the stored model it serves
SOURCE_LABEL = "source_sha256"  # the bento label fingerprinting the code it packs


def source_fingerprint(bentofile: Path, build_ctx: Path) -> str:
    """Sha256 over the bentofile and every file it includes, so changed code means a new bento."""
    spec = yaml.safe_load(bentofile.read_text())
    files = sorted({p for pattern in spec.get("include", []) for p in build_ctx.glob(pattern)})
    digest = hashlib.sha256(bentofile.read_bytes())
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(build_ctx)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def bento_size_bytes(bento: bentoml.Bento) -> int:
    """Bytes on disk of the bento's own files (code, environment; models are stored apart)."""
    return sum(p.stat().st_size for p in Path(bento.path).rglob("*") if p.is_file())


def build_bento(
    bentofile: Path, build_ctx: Path, model_tag: str, labels: dict[str, str]
) -> tuple[bentoml.Bento, bool]:
    """The bento serving ``model_tag``: an existing one built from the same code, else a new one.

    Returns the bento and whether it was built now.
    """
    fingerprint = source_fingerprint(bentofile, build_ctx)
    for bento in _stored_bentos():
        built_from = bento.info.labels.get(MODEL_LABEL), bento.info.labels.get(SOURCE_LABEL)
        if built_from == (model_tag, fingerprint):
            return bento, False
    # A build argument travels inside the bento: serving it later loads this model, not
    # whatever is newest in the store. BentoML keeps build arguments in a process-wide
    # setting; restore it so the build leaves no trace in a long-lived process.
    previous_arguments = dict(BentoMLContainer.bento_arguments.get())
    try:
        bento = bentoml.bentos.build_bentofile(
            str(bentofile),
            build_ctx=str(build_ctx),
            labels={**labels, MODEL_LABEL: model_tag, SOURCE_LABEL: fingerprint},
            args={"model_tag": model_tag},
            reload=True,
        )
    finally:
        BentoMLContainer.bento_arguments.set(previous_arguments)
    return bento, True


def bento_for_model(model_version: str, mlflow_run_id: str) -> bentoml.Bento:
    """The newest bento built for one registered model version (LookupError when none)."""
    matching = [
        b
        for b in _stored_bentos()
        if b.info.labels.get("model_version") == model_version
        and b.info.labels.get("mlflow_run_id") == mlflow_run_id
    ]
    if not matching:
        raise LookupError(
            f"no bento serves model version {model_version} (run {mlflow_run_id}): "
            "materialise mnist_bento first"
        )
    return max(matching, key=lambda b: b.info.creation_time)


def _stored_bentos() -> list[bentoml.Bento]:
    try:
        return list(bentoml.bentos.list(BENTO_SERVICE_NAME))
    except bentoml.exceptions.NotFound:
        return []
