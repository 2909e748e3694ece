"""mnist_bento: the champion's served variant in BentoML's model store, packed into a bento."""

import tempfile
from pathlib import Path

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import bento_size_bytes, build_bento, service_fingerprint
from mnist_assets.ml.inference.variants_build import OptimizedModel
from mnist_assets.serving.model_store import save_champion


@dg.asset(
    group_name="serving",
    kinds={"bentoml"},
    automation_condition=FOLLOW_PARENTS,
    # The service code it packs: changed code makes a deploy build and serve a new bento.
    code_version=service_fingerprint()[:16],
)
def mnist_bento(
    model_registry: ModelRegistry, optimized_model: OptimizedModel
) -> dg.MaterializeResult:
    """The bento serving the champion's chosen variant; an unchanged champion reuses it.

    It follows optimized_model, which follows the gate: a failed gate builds nothing new.
    """
    with tempfile.TemporaryDirectory() as tmp:
        champion = model_registry.download_champion(Path(tmp))
        if optimized_model.model_version != champion.version:
            raise dg.Failure(
                f"optimized_model holds v{optimized_model.model_version} but the champion is "
                f"v{champion.version}: materialise optimized_model first"
            )
        chosen = optimized_model.chosen_result()
        onnx = optimized_model.chosen_onnx()
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
            onnx=None if onnx is None else (chosen.runtime, onnx),
        )
    bento, built = build_bento(model_tag, labels)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(str(bento.tag)),
        metadata={
            "bento_tag": str(bento.tag),
            "bento_model": model_tag,
            "built": built,
            "size_bytes": bento_size_bytes(bento),
            "serve": f"bentoml serve {bento.tag}",
            "runtime": chosen.runtime,
            **labels,
        },
    )
