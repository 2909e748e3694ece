"""Figures for humans: the training curve and the confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mnist_assets.ml.training.fit import EpochStats


def save_figure(fig: Figure, path: Path, legend_axes: Iterable[Axes] = ()) -> Path:
    """Grid and legend on ``legend_axes``, then write ``fig`` as a PNG at ``path`` and close it."""
    for ax in legend_axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_training_curve(history: list[EpochStats], path: Path) -> Path:
    """Loss and accuracy per epoch, train against validation, as a PNG at ``path``."""
    epochs = [h.epoch for h in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    loss_ax.plot(epochs, [h.train_loss for h in history], label="train")
    loss_ax.plot(epochs, [h.val_loss for h in history], label="validation")
    loss_ax.set(title="Loss", xlabel="epoch")
    acc_ax.plot(epochs, [h.train_accuracy for h in history], label="train")
    acc_ax.plot(epochs, [h.val_accuracy for h in history], label="validation")
    acc_ax.set(title="Accuracy", xlabel="epoch")
    return save_figure(fig, path, legend_axes=(loss_ax, acc_ax))


def plot_confusion_matrix(matrix: np.ndarray, path: Path) -> Path:
    """The confusion matrix (rows: true digit, columns: predicted) with counts, as a PNG."""
    fig, ax = plt.subplots(figsize=(6, 5.5), dpi=100)
    ax.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(col, row, str(count), ha="center", va="center", color=color, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10))
    ax.set_title("Confusion matrix (test split)")
    return save_figure(fig, path)
