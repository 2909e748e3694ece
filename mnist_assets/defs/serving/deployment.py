"""mnist_service: the champion's bento, live behind the gateway of the local deployment."""

import dagster as dg

from mnist_assets.constants import CHAMPION_ALIAS
from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.serving.bento import mnist_bento
from mnist_assets.defs.serving.resources import LocalDeployment
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import bento_for_model
from mnist_assets.deploy.engines import PROCESSES, Engine
from mnist_assets.deploy.retention import prune
from mnist_assets.deploy.state import Release
from mnist_assets.settings import settings

SERVICE_ASSET = dg.AssetKey("mnist_service")


@dg.asset(
    group_name="serving",
    kinds={"bentoml", "nginx"},
    deps=[mnist_bento],
    automation_condition=FOLLOW_PARENTS,
)
def mnist_service(
    model_registry: ModelRegistry, local_deployment: LocalDeployment
) -> dg.MaterializeResult:
    """Serves the bento built for the current champion; already serving it, nothing moves.

    A new bento starts beside the old one and takes over only once ready (blue/green). The
    champion is read from the registry, not from mnist_bento: `make rollback` moves it outside
    Dagster, and a deploy after a rollback must keep serving the model rolled back to.
    """
    champion = model_registry.version_with_alias(CHAMPION_ALIAS)
    if champion is None or champion.run_id is None:
        raise dg.Failure(f"no '{CHAMPION_ALIAS}' model yet: nothing to serve")
    bento = bento_for_model(str(champion.version), champion.run_id)
    deployment = local_deployment.deployment()
    release = deployment.serve(str(bento.tag), str(champion.version))
    model_registry.mark_serving(release.model_version)  # the gateway routes to it now
    engine = None if release.runner == PROCESSES else Engine(release.runner)
    pruned = prune(deployment.state(), settings().keep_releases, engine)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(release.bento),
        metadata={**release_metadata(deployment.url, release), "pruned_bentos": len(pruned)},
    )


def release_metadata(url: str, release: Release) -> dict[str, dg.MetadataValue]:
    """What the UI shows of a live release (also recorded by rollbacks)."""
    return {
        "url": dg.MetadataValue.url(url),
        "docs": dg.MetadataValue.url(f"{url}/"),  # BentoML serves its Swagger UI at the root
        "bento_tag": dg.MetadataValue.text(release.bento),
        "model_version": dg.MetadataValue.text(release.model_version),
        "slot": dg.MetadataValue.text(release.slot),
        "live_since": dg.MetadataValue.text(release.since),
    }
