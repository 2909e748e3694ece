"""The champion's inference variants: eager PyTorch (the reference), ONNX, and int8 ONNX."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.inference.onnx_export import export_onnx, quantize_int8
from mnist_assets.ml.inference.predictors import OnnxPredictor, Predictor, TorchPredictor
from mnist_assets.ml.inference.variants import (
    EligibilityRule,
    VariantResult,
    choose,
    load_results,
    measure,
    predict_digits,
    save_results,
)
from mnist_assets.ml.training.model import MnistCnn, to_pixels

REFERENCE = "eager"
VARIANT_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}  # name -> file
RESULTS_FILE = "variants.json"
MODEL_FILE = "model.json"  # which registered version the variants were built from
CALIBRATION_IMAGES = 512  # training images that fix the int8 activation scales


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread, as in a service worker; restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class OptimizedModel:
    """The variants of one registered model version: ONNX files, measurements, the choice."""

    model_version: str
    mlflow_run_id: str
    files: dict[str, bytes]  # variant name -> ONNX file content (the eager model has none)
    results: list[VariantResult]
    chosen: str

    def chosen_result(self) -> VariantResult:
        return next(r for r in self.results if r.name == self.chosen)

    def chosen_onnx(self) -> bytes | None:
        """The ONNX file to serve, or None when eager PyTorch serves."""
        return self.files.get(self.chosen)

    def digest(self) -> str:
        """Sha256 over the model identity, the choice and the served file."""
        served = self.chosen_onnx() or b""
        identity = f"{self.model_version}:{self.mlflow_run_id}:{self.chosen}:".encode()
        return hashlib.sha256(identity + served).hexdigest()

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            (directory / VARIANT_FILES[name]).write_bytes(content)
        save_results(self.results, self.chosen_result(), directory / RESULTS_FILE)
        model = {"model_version": self.model_version, "mlflow_run_id": self.mlflow_run_id}
        (directory / MODEL_FILE).write_text(json.dumps(model, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> OptimizedModel:
        results, chosen = load_results(directory / RESULTS_FILE)
        model = json.loads((directory / MODEL_FILE).read_text())
        files = {
            name: (directory / file).read_bytes()
            for name, file in VARIANT_FILES.items()
            if (directory / file).exists()
        }
        return cls(model["model_version"], model["mlflow_run_id"], files, results, chosen)


def build_variants(model: MnistCnn, splits: MnistSplits, directory: Path) -> dict[str, Predictor]:
    """Export the ONNX variants into ``directory``; returns every variant's predictor."""
    export_onnx(model, directory / VARIANT_FILES["onnx"])
    calibration = to_pixels(torch.from_numpy(splits.train.images[:CALIBRATION_IMAGES])).numpy()
    quantize_int8(
        directory / VARIANT_FILES["onnx"], directory / VARIANT_FILES["onnx-int8"], calibration
    )
    return {
        REFERENCE: TorchPredictor(model),
        "onnx": OnnxPredictor(directory / VARIANT_FILES["onnx"]),
        "onnx-int8": OnnxPredictor(directory / VARIANT_FILES["onnx-int8"], "onnxruntime-int8"),
    }


def compare(
    variants: dict[str, Predictor], examples: MnistArrays, rule: EligibilityRule
) -> tuple[list[VariantResult], VariantResult]:
    """Measure every variant on ``examples`` (reference first) and pick the one to serve."""
    pixels = to_pixels(torch.from_numpy(examples.images)).numpy()
    labels = examples.labels.astype(np.int64)
    with one_thread():
        reference = predict_digits(variants[REFERENCE], pixels)
        results = [
            measure(name, predictor, pixels, labels, reference, rule)
            for name, predictor in variants.items()
        ]
    return results, choose(results)


def optimize(
    model: MnistCnn,
    splits: MnistSplits,
    rule: EligibilityRule,
    model_version: str,
    mlflow_run_id: str,
) -> OptimizedModel:
    """Build, measure and choose: the whole optimisation step for one registered version."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        # Chosen on the validation split: the test split stays unseen for the gate's report.
        variants = build_variants(model, splits, directory)
        results, chosen = compare(variants, splits.val, rule)
        files = {name: (directory / file).read_bytes() for name, file in VARIANT_FILES.items()}
    return OptimizedModel(model_version, mlflow_run_id, files, results, chosen.name)
