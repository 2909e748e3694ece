"""The inference variants: faithful to the reference, a broken one refused, the fastest chosen."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.inference.onnx_export import export_onnx
from mnist_assets.ml.inference.predictors import OnnxPredictor, TorchPredictor, softmax
from mnist_assets.ml.inference.variants import VariantResult, choose, measure, predict_digits
from mnist_assets.ml.inference.variants_build import REFERENCE, OptimizedModel, optimize
from mnist_assets.ml.training.model import MnistCnn, to_pixels
from mnist_assets_tests.configs import DEFAULT_RULE

RULE = DEFAULT_RULE


@pytest.fixture(scope="module")
def optimized(trained_model: MnistCnn, splits: MnistSplits) -> OptimizedModel:
    return optimize(trained_model, splits, RULE, model_version="7", mlflow_run_id="run-7")


def test_every_variant_stays_within_the_rule_of_the_reference(optimized: OptimizedModel) -> None:
    results = {r.name: r for r in optimized.results}
    assert list(results) == [REFERENCE, "onnx", "onnx-int8"]
    assert results[REFERENCE].agreement == 1.0 and results[REFERENCE].accuracy_delta == 0.0
    assert results["onnx"].agreement == 1.0  # fp32 ONNX computes the same function
    for result in results.values():
        assert result.eligible, result.reason
        assert result.accuracy_delta >= -RULE.max_accuracy_drop - 1e-9
        assert result.agreement >= RULE.min_agreement
        assert result.p50_us > 0 and result.batch64_images_per_s > 0
    chosen = optimized.chosen_result()
    assert chosen.p50_us == min(r.p50_us for r in results.values())
    assert optimized.chosen_onnx() == optimized.files.get(chosen.name)


def test_the_variant_is_chosen_on_validation_digits_never_on_the_gates_test_digits(
    optimized: OptimizedModel, trained_model: MnistCnn, splits: MnistSplits
) -> None:
    reference = optimized.results[0]
    for split, accurate in ((splits.val, True), (splits.test, False)):
        pixels = to_pixels(torch.from_numpy(split.images)).numpy()
        digits = predict_digits(TorchPredictor(trained_model), pixels)
        accuracy = float((digits == split.labels).mean())
        # The two splits' accuracies differ for this model, so this tells them apart.
        assert (reference.accuracy == pytest.approx(accuracy)) is accurate


def test_onnx_logits_match_eager_pytorch(
    trained_model: MnistCnn, splits: MnistSplits, tmp_path: Path
) -> None:
    export_onnx(trained_model, tmp_path / "model.onnx")
    pixels = to_pixels(torch.from_numpy(splits.test.images[:64])).numpy()
    eager = TorchPredictor(trained_model).logits(pixels)
    onnx = OnnxPredictor(tmp_path / "model.onnx").logits(pixels)
    assert onnx.shape == (64, 10)
    np.testing.assert_allclose(onnx, eager, atol=1e-4)
    assert softmax(onnx).sum(axis=1) == pytest.approx(np.ones(64), abs=1e-6)


class _WrongScaling(nn.Module):
    """The model fed 0-255 pixels instead of [0, 1]: a classic export mistake."""

    def __init__(self, model: MnistCnn) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model(pixels * 255.0)


def test_a_broken_variant_is_ineligible(
    trained_model: MnistCnn, splits: MnistSplits, tmp_path: Path
) -> None:
    export_onnx(_WrongScaling(trained_model), tmp_path / "broken.onnx")  # type: ignore[arg-type]
    pixels = to_pixels(torch.from_numpy(splits.test.images)).numpy()
    labels = splits.test.labels.astype(np.int64)
    reference = predict_digits(TorchPredictor(trained_model), pixels)
    result = measure(
        "broken", OnnxPredictor(tmp_path / "broken.onnx"), pixels, labels, reference, RULE
    )
    assert not result.eligible
    assert "accuracy (at most 0.20%)" in result.reason and "agrees on" in result.reason


def _result(name: str, p50: float, eligible: bool) -> VariantResult:
    return VariantResult(name, "rt", 0.99, 0.0, 1.0, p50, p50 * 2, 1000.0, eligible, "")


def test_the_fastest_eligible_variant_is_chosen() -> None:
    results = [_result("eager", 400, True), _result("fast", 100, False), _result("ok", 200, True)]
    assert choose(results).name == "ok"


def test_the_optimised_model_round_trips_through_its_folder(
    optimized: OptimizedModel, tmp_path: Path
) -> None:
    optimized.save(tmp_path / "optimized")
    loaded = OptimizedModel.load(tmp_path / "optimized")
    assert loaded == optimized
    assert loaded.digest() == optimized.digest()
