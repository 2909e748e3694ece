"""validation_report (the candidate on the test split) and mnist_champion (after the gate)."""

import base64
import tempfile
from pathlib import Path

import dagster as dg

from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.evaluation.config import ValidationConfig
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.evaluation.champion import PromotedModel
from mnist_assets.ml.evaluation.gate import gate_failures
from mnist_assets.ml.evaluation.validation import (
    CONFUSION_FILE,
    ChampionComparison,
    ValidationReport,
    validate,
)
from mnist_assets.ml.training.trained import TrainedModel


def _per_class_table(report: ValidationReport) -> str:
    m = report.metrics
    rows = [
        f"| {d} | {m.precision[d]:.3f} | {m.recall[d]:.3f} | {m.f1[d]:.3f} | {m.support[d]} |"
        for d in range(len(m.support))
    ]
    header = "| digit | precision | recall | F1 | support |\n|---|---|---|---|---|"
    return "\n".join([header, *rows])


@dg.asset(
    group_name="evaluation",
    kinds={"pytorch"},
    io_manager_key="folder_io",
    automation_condition=FOLLOW_PARENTS,
)
def validation_report(
    config: ValidationConfig,
    model_registry: ModelRegistry,
    mnist_cnn: TrainedModel,
    mnist_splits: MnistSplits,
) -> dg.Output[ValidationReport]:
    """The candidate's test-split metrics, behaviour, latency and drift reference.

    The current champion is scored on the test digits neither model saw, for the
    no-regression check.
    """
    report = validate(
        mnist_cnn.model,
        mnist_splits,
        model_version=mnist_cnn.record.model_version,
        mlflow_run_id=mnist_cnn.record.mlflow_run_id,
        champion=model_registry.champion(),
        thresholds=config.thresholds(),
    )
    m = report.metrics
    headline = {
        "test_accuracy": m.accuracy,
        "test_macro_f1": m.macro["f1"],
        "test_ece": m.expected_calibration_error,
        "latency_mean_ms": report.latency.mean_ms,
        "latency_p95_ms": report.latency.p95_ms,
        "shift_flip_rate": report.behaviour.shift_flip_rate,
        "blank_confidence": report.behaviour.blank_confidence,
        "noise_confidence": report.behaviour.noise_confidence,
    }
    with tempfile.TemporaryDirectory() as tmp:
        report.save(Path(tmp))
        model_registry.log_to_run(report.mlflow_run_id, Path(tmp), headline | m.per_class())
        confusion_png = base64.b64encode((Path(tmp) / CONFUSION_FILE).read_bytes()).decode()
    return dg.Output(
        report,
        metadata={
            **{name: round(value, 5) for name, value in headline.items()},
            "model_version": report.model_version,
            "champion": _champion_line(report.champion),
            "per_class": dg.MetadataValue.md(_per_class_table(report)),
            "confusion_matrix": dg.MetadataValue.md(
                f"![confusion matrix](data:image/png;base64,{confusion_png})"
            ),
        },
    )


def _champion_line(champion: ChampionComparison | None) -> str:
    if champion is None:
        return "none"
    return (
        f"v{champion.version} {champion.accuracy:.2%} on {champion.examples} digits neither saw "
        f"({champion.excluded} excluded); right where the other is wrong: "
        f"champion {champion.champion_only}, candidate {champion.candidate_only}"
    )


@dg.asset(
    group_name="evaluation",
    kinds={"mlflow"},
    io_manager_key="folder_io",
    automation_condition=FOLLOW_PARENTS,
    code_version="2",  # 2: the promoted model is stored for the assets after it
)
def mnist_champion(
    model_registry: ModelRegistry, validation_report: ValidationReport, mnist_cnn: TrainedModel
) -> dg.Output[PromotedModel]:
    """The candidate, promoted to the ``champion`` alias once every gate check has passed.

    Dagster only runs this when the blocking checks on validation_report pass, so a model that
    fails the gate never becomes champion. The assets after it take the model from here.
    """
    # The blocking checks stop this asset within a run; selected alone, it asks the gate itself.
    if failures := gate_failures(validation_report):
        raise dg.Failure(
            f"v{validation_report.model_version} failed the promotion gate: {'; '.join(failures)}"
        )
    if mnist_cnn.record.model_version != validation_report.model_version:
        raise dg.Failure(
            f"validation_report judged v{validation_report.model_version} but mnist_cnn holds "
            f"v{mnist_cnn.record.model_version}: materialise validation_report first"
        )
    replaced = model_registry.promote(validation_report.model_version)
    promoted = PromotedModel(
        mnist_cnn, validation_report.metrics.accuracy, validation_report.drift_reference
    )
    return dg.Output(
        promoted,
        data_version=dg.DataVersion(validation_report.model_version),
        metadata={
            "champion_version": validation_report.model_version,
            "previous_version": replaced or "none",
            "test_accuracy": validation_report.metrics.accuracy,
        },
    )
