"""The code location: every asset, check and resource of mnist-assets."""

import dagster as dg

from mnist_assets.defs.automation.alerts import alert_webhook, run_failure_alert
from mnist_assets.defs.automation.jobs import new_data_job, retraining_job
from mnist_assets.defs.automation.new_data import IncomingFolder, new_data_sensor
from mnist_assets.defs.automation.schedules import weekly_retraining
from mnist_assets.defs.data.assets import mnist_splits, raw_mnist
from mnist_assets.defs.data.checks import data_checks
from mnist_assets.defs.data.resources import MnistSourceResource
from mnist_assets.defs.evaluation.assets import mnist_champion, validation_report
from mnist_assets.defs.evaluation.checks import gate_checks
from mnist_assets.defs.monitoring.data_drift import data_drift
from mnist_assets.defs.monitoring.live_drift import DriftWatch, live_drift_sensor
from mnist_assets.defs.serving.bento import mnist_bento
from mnist_assets.defs.serving.deployment import mnist_service
from mnist_assets.defs.serving.optimized import optimized_model
from mnist_assets.defs.serving.resources import LocalDeployment
from mnist_assets.defs.shared.io_manager import FolderIOManager
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.defs.training.assets import mnist_cnn
from mnist_assets.defs.training.tracking import mlflow_resource
from mnist_assets.settings import settings

defs = dg.Definitions(
    assets=[
        raw_mnist,
        mnist_splits,
        mnist_cnn,
        validation_report,
        mnist_champion,
        optimized_model,
        mnist_bento,
        mnist_service,
    ],
    jobs=[retraining_job, new_data_job],
    schedules=[weekly_retraining],
    sensors=[new_data_sensor, live_drift_sensor, run_failure_alert],
    asset_checks=[*data_checks, data_drift, *gate_checks],
    resources={
        "mnist_source": MnistSourceResource.from_environment(),
        "folder_io": FolderIOManager(root=str(settings().data_root)),
        "mlflow": mlflow_resource(),
        "model_registry": ModelRegistry(tracking_uri=settings().mlflow_tracking_uri),
        "local_deployment": LocalDeployment.from_environment(),
        "incoming": IncomingFolder.from_environment(),
        "drift_watch": DriftWatch.from_environment(),
        "alerts": alert_webhook(),
    },
    # One process per run: importing torch and MLflow once beats a subprocess per step for a
    # graph this small on a 2-core machine.
    executor=dg.in_process_executor,
)
