"""Compare training runs of the ``mnist`` experiment side by side, as a table and a plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from mnist_assets.constants import MLFLOW_EXPERIMENT
from mnist_assets.ml.training.plots import save_figure

SUMMARY_METRICS = ("best_val_accuracy", "best_val_loss", "train_seconds", "images_per_second")


@dataclass(frozen=True)
class RunComparison:
    """Runs in the order asked for, the params on which they differ, and their summaries."""

    runs: list[Run]
    differing_params: list[str]

    def table(self) -> str:
        """A plain-text table: one column per run, params that differ, then summary metrics."""
        header = ["", *(run.info.run_id[:8] for run in self.runs)]
        rows = [["run name", *(run.info.run_name or "" for run in self.runs)]]
        rows += [
            [p, *(run.data.params.get(p, "-") for run in self.runs)] for p in self.differing_params
        ]
        for metric in SUMMARY_METRICS:
            values = [run.data.metrics.get(metric) for run in self.runs]
            rows.append([metric, *("-" if v is None else f"{v:.4g}" for v in values)])
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True))
            for row in [header, *rows]
        ]
        return "\n".join(lines)


def compare_runs(
    client: MlflowClient, run_ids: list[str] | None = None, last: int = 5
) -> RunComparison:
    """The given runs, or the ``last`` finished runs of the experiment, newest first."""
    if run_ids:
        runs = [client.get_run(run_id) for run_id in run_ids]
    else:
        experiment = client.get_experiment_by_name(MLFLOW_EXPERIMENT)
        if experiment is None:
            raise LookupError(
                f"no MLflow experiment '{MLFLOW_EXPERIMENT}' yet: train a model first"
            )
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string="attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=last,
        )
    if not runs:
        raise LookupError("no finished runs to compare")
    names = sorted({name for run in runs for name in run.data.params})
    differing = [n for n in names if len({run.data.params.get(n) for run in runs}) > 1]
    return RunComparison(runs, differing)


def plot_comparison(client: MlflowClient, comparison: RunComparison, path: Path) -> Path:
    """Validation accuracy and loss per epoch, one line per run, saved as a PNG."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    for run in comparison.runs:
        label = run.info.run_id[:8]
        for ax, metric in zip(axes, ("val_accuracy", "val_loss"), strict=True):
            history = client.get_metric_history(run.info.run_id, metric)
            ax.plot([m.step for m in history], [m.value for m in history], marker=".", label=label)
            ax.set(title=metric, xlabel="epoch")
    return save_figure(fig, path, legend_axes=axes)
