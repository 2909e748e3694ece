"""Figures for humans: the training curve."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt

from mnist_assets.ml.training import EpochStats


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
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
