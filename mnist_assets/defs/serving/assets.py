"""mnist_bento: the champion in BentoML's model store, packed into a bento."""

import tempfile
from pathlib import Path

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.evaluation.assets import mnist_champion
from mnist_assets.defs.evaluation.registry import ModelRegistry
from mnist_assets.env import PROJECT_ROOT
from mnist_assets.serving.bento_build import bento_size_bytes, build_bento
from mnist_assets.serving.model_store import save_champion

BENTOFILE = PROJECT_ROOT / "bentos" / "bentofile.yaml"


@dg.asset(
    group_name="serving",
    kinds={"bentoml"},
    deps=[mnist_champion],
    automation_condition=FOLLOW_PARENTS,
)
def mnist_bento(model_registry: ModelRegistry) -> dg.MaterializeResult:
    """The bento serving the current champion; an unchanged champion reuses its bento.

    It follows mnist_champion, so when the gate fails nothing new is built.
    """
    with tempfile.TemporaryDirectory() as tmp:
        champion = model_registry.download_champion(Path(tmp))
        labels = {
            "model_version": champion.version,
            "mlflow_run_id": champion.mlflow_run_id,
            "data_version": champion.data_version,
            "git_commit": champion.git_commit,
        }
        model_tag = save_champion(
            champion.checkpoint,
            champion.drift_reference,
            labels,
            {"test_accuracy": champion.test_accuracy},
        )
    bento, built = build_bento(BENTOFILE, PROJECT_ROOT, model_tag, labels)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(str(bento.tag)),
        metadata={
            "bento_tag": str(bento.tag),
            "bento_model": model_tag,
            "built": built,
            "size_bytes": bento_size_bytes(bento),
            "serve": f"bentoml serve {bento.tag}",
            **labels,
        },
    )
