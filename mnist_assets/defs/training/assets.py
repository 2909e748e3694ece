"""mnist_cnn: train on the splits, track the run in MLflow, register a new model version."""

import dagster as dg
import torch
from dagster_mlflow.resources import MlFlow

from mnist_assets.constants import REGISTERED_MODEL_NAME, TRAINING_POOL
from mnist_assets.defs.automation.conditions import FOLLOW_PARENTS
from mnist_assets.defs.training import mlflow_logging
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.defs.training.tracking import finished_run
from mnist_assets.env import git_commit
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.training.fit import EpochStats, fit
from mnist_assets.ml.training.seen_digits import seen_hashes
from mnist_assets.ml.training.trained import TrainedModel, TrainingRecord
from mnist_assets.settings import settings


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    io_manager_key="folder_io",
    pool=TRAINING_POOL,
    automation_condition=FOLLOW_PARENTS,
)
def mnist_cnn(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    mlflow: dg.ResourceParam[MlFlow],
    mnist_splits: MnistSplits,
) -> dg.Output[TrainedModel]:
    """A CNN trained on the train split, the best validation epoch kept, registered in MLflow."""
    data_version = mnist_splits.content_hash()

    def on_epoch(stats: EpochStats) -> None:
        mlflow_logging.log_epoch(stats)
        context.log.info(
            f"epoch {stats.epoch}/{config.training.epochs}: loss {stats.train_loss:.4f}, "
            f"val accuracy {stats.val_accuracy:.2%}, {stats.seconds:.1f} s"
        )

    commit = git_commit()
    with finished_run(mlflow) as run:
        model_config, train_config = config.to_configs()  # a bad combination fails the run here
        mlflow.set_tags(
            {
                "mlflow.runName": f"mnist_cnn-{context.run.run_id[:8]}",
                "dagster_run_url": f"{settings().dagster_ui_url}/runs/{context.run.run_id}",
                "data_version": data_version,
                "git_commit": commit,
            }
        )
        mlflow.log_params(mlflow_logging.flatten(config.model_dump()))
        result = fit(model_config, train_config, mnist_splits.train, mnist_splits.val, on_epoch)
        result.model.to("cpu").to(memory_format=torch.contiguous_format)
        curve_png = mlflow_logging.log_result_and_artifacts(
            result, config.model_dump(), seen_hashes(mnist_splits)
        )
        version = mlflow_logging.log_and_register_model(result.model, REGISTERED_MODEL_NAME)

    best = result.history[result.best_epoch - 1]
    record = TrainingRecord(
        mlflow_run_id=run.info.run_id,
        registered_model=REGISTERED_MODEL_NAME,
        model_version=version,
        data_version=data_version,
        val_accuracy=best.val_accuracy,
        git_commit=commit,
    )
    run_url = (
        f"{settings().mlflow_ui_url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    )
    return dg.Output(
        TrainedModel(result.model, record),
        metadata={
            "val_accuracy": best.val_accuracy,
            "best_epoch": result.best_epoch,
            "epochs_run": len(result.history),
            "train_seconds": round(result.train_seconds, 2),
            "images_per_second": round(result.images_per_second),
            "runtime": result.runtime,
            "batch_size": result.batch_size,
            "registered_model": f"{REGISTERED_MODEL_NAME} v{version}",
            "mlflow_run_id": run.info.run_id,
            "mlflow_run": dg.MetadataValue.url(run_url),
            "training_curve": dg.MetadataValue.md(
                f"![training curve](data:image/png;base64,{curve_png})"
            ),
        },
    )
