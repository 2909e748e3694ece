"""mnist_bento: the champion's served variant in BentoML's model store, packed into a bento."""

import tempfile
from pathlib import Path

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.deploy.bentos import bento_size_bytes, build_bento, service_fingerprint
from mnist_assets.ml.evaluation.champion import PromotedModel
from mnist_assets.ml.evaluation.validation import DRIFT_REFERENCE_FILE
from mnist_assets.ml.inference.variants_build import OptimizedModel
from mnist_assets.ml.training.trained import CHECKPOINT_FILE
from mnist_assets.serving.model_store import save_champion


@dg.asset(
    group_name="serving",
    kinds={"bentoml"},
    automation_condition=FOLLOW_PARENTS,
    # The service code it packs: changed code makes a deploy build and serve a new bento.
    code_version=service_fingerprint()[:16],
)
def mnist_bento(
    mnist_champion: PromotedModel, optimized_model: OptimizedModel
) -> dg.MaterializeResult:
    """The bento serving the champion's chosen variant; an unchanged champion reuses it.

    It follows optimized_model, which follows the gate: a failed gate builds nothing new.
    """
    record = mnist_champion.trained.record
    if optimized_model.model_version != record.model_version:
        raise dg.Failure(
            f"optimized_model holds v{optimized_model.model_version} but the champion is "
            f"v{record.model_version}: materialise optimized_model first"
        )
    chosen, onnx = optimized_model.chosen_result(), optimized_model.chosen_onnx()
    labels = {
        "model_version": record.model_version,
        "mlflow_run_id": record.mlflow_run_id,
        "data_version": record.data_version,
        "git_commit": record.git_commit,
    }
    with tempfile.TemporaryDirectory() as tmp:
        mnist_champion.save(Path(tmp))
        model_tag = save_champion(
            Path(tmp) / CHECKPOINT_FILE,
            Path(tmp) / DRIFT_REFERENCE_FILE,
            labels,
            {"test_accuracy": mnist_champion.test_accuracy},
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
