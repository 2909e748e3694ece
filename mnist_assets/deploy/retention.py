"""Built artefacts that nothing will serve again are removed after a successful deploy.

Every new champion adds a bento, a BentoML model and (on the container path) an image of about
350 MB. What stays: the live release, the rollback target (the release before it) and the
``keep`` newest bentos; the others go, each with its image and with the models no kept bento
serves. Models and images that no bento of this service made are never touched.
"""

from __future__ import annotations

import contextlib

import bentoml

from mnist_assets.deploy.bentos import stored_bentos
from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.image import image_ref
from mnist_assets.deploy.state import DeployState


def prune(state: DeployState, keep: int, engine: Engine | None = None) -> list[str]:
    """Remove the bentos (and their images and models) no longer worth keeping; their tags."""
    bentos = sorted(stored_bentos(), key=lambda b: b.info.creation_time, reverse=True)
    releases = [r for r in (state.live, *state.history[-1:]) if r is not None]
    kept = {r.bento for r in releases} | {str(b.tag) for b in bentos[:keep]}
    doomed = [b for b in bentos if str(b.tag) not in kept]
    served = {str(m.tag) for b in bentos if str(b.tag) in kept for m in b.info.all_models}
    removed = []
    for bento in doomed:
        models = [str(m.tag) for m in bento.info.all_models]
        bentoml.bentos.delete(str(bento.tag))
        if engine is not None and engine.image_exists(image_ref(str(bento.tag))):
            engine.run("rmi", image_ref(str(bento.tag)), check=False)
        for model in models:
            if model not in served:
                with contextlib.suppress(bentoml.exceptions.NotFound):  # pruned with another
                    bentoml.models.delete(model)
        removed.append(str(bento.tag))
    return removed
