"""optimized_model: the champion as ONNX and int8 ONNX, measured against eager PyTorch."""

import tempfile
from pathlib import Path

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.shared.config import dagster_config
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.env import config_defaults
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.evaluation.champion import PromotedModel
from mnist_assets.ml.inference.variants import EligibilityRule, markdown_table
from mnist_assets.ml.inference.variants_build import OptimizedModel, optimize

_DEFAULTS = config_defaults("training")["optimization"]


class OptimizationConfig(dagster_config(EligibilityRule, _DEFAULTS)):  # type: ignore[misc]
    """When a variant may serve instead of eager PyTorch."""

    def rule(self) -> EligibilityRule:
        return EligibilityRule(**self.model_dump())


@dg.asset(
    group_name="serving",
    kinds={"onnx", "pytorch"},
    io_manager_key="folder_io",
    automation_condition=FOLLOW_PARENTS,
)
def optimized_model(
    config: OptimizationConfig,
    model_registry: ModelRegistry,
    mnist_champion: PromotedModel,
    mnist_splits: MnistSplits,
) -> dg.Output[OptimizedModel]:
    """The fastest variant of the champion that keeps its accuracy, and the comparison."""
    rule, record = config.rule(), mnist_champion.trained.record
    model = mnist_champion.trained.model
    optimized = optimize(model, mnist_splits, rule, record.model_version, record.mlflow_run_id)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "optimization"
        optimized.save(report)
        table = markdown_table(optimized.results, optimized.chosen_result())
        (report / "variants.md").write_text(table + "\n")
        model_registry.log_to_run(
            record.mlflow_run_id,
            report,
            {f"{r.name}_p50_us": r.p50_us for r in optimized.results},
            under="optimization",
        )
    chosen = optimized.chosen_result()
    return dg.Output(
        optimized,
        data_version=dg.DataVersion(optimized.digest()),
        metadata={
            "served_variant": chosen.name,
            "runtime": chosen.runtime,
            "speedup_vs_eager": optimized.results[0].p50_us / chosen.p50_us,
            "variants": dg.MetadataValue.md(table),
            "model_version": record.model_version,
        },
    )
