"""Build (or reuse) the bento that serves one stored model."""

from pathlib import Path

import bentoml

from mnist_assets.constants import BENTO_SERVICE_NAME

MODEL_LABEL = "bento_model"  # the bento label naming the stored model it serves


def bento_size_bytes(bento: bentoml.Bento) -> int:
    """Bytes on disk of the bento's own files (code, environment; models are stored apart)."""
    return sum(p.stat().st_size for p in Path(bento.path).rglob("*") if p.is_file())


def build_bento(
    bentofile: Path, build_ctx: Path, model_tag: str, labels: dict[str, str]
) -> tuple[bentoml.Bento, bool]:
    """The bento serving ``model_tag``: an existing one when built before, else a new build.

    Returns the bento and whether it was built now.
    """
    try:
        existing = bentoml.bentos.list(BENTO_SERVICE_NAME)
    except bentoml.exceptions.NotFound:
        existing = []
    for bento in existing:
        if bento.info.labels.get(MODEL_LABEL) == model_tag:
            return bento, False
    # A build argument travels inside the bento: serving it later loads this model, not
    # whatever is newest in the store.
    bento = bentoml.bentos.build_bentofile(
        str(bentofile),
        build_ctx=str(build_ctx),
        labels={**labels, MODEL_LABEL: model_tag},
        args={"model_tag": model_tag},
        reload=True,
    )
    return bento, True
