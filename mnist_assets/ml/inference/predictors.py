"""One interface over the inference runtimes: eager PyTorch and ONNX Runtime sessions.

Every predictor takes ``float32 [N, 1, 28, 28]`` pixels in [0, 1] and returns logits
``float32 [N, 10]``, on one CPU thread (the service runs one worker per core). PyTorch is
imported only by the eager predictor: a worker serving an ONNX variant never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from mnist_assets.ml.training.model import MnistCnn

ONNX_INPUT = "pixels"
ONNX_OUTPUT = "logits"


class Predictor(Protocol):
    """Logits for a batch of pixels, by some runtime."""

    runtime: str  # shown by the service's /model/info

    def logits(self, pixels: np.ndarray) -> np.ndarray: ...


@dataclass
class TorchPredictor:
    """The eager model, channels_last (oneDNN's fast layout on CPU)."""

    model: MnistCnn
    runtime: str = "pytorch"

    def __post_init__(self) -> None:
        import torch

        torch.set_num_threads(1)
        self.model = self.model.eval().to(memory_format=torch.channels_last)

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(pixels)).float().numpy()


@dataclass
class OnnxPredictor:
    """An ONNX file run by ONNX Runtime's CPU provider with every graph optimisation."""

    path: Path
    runtime: str = "onnxruntime"
    session: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        (logits,) = self.session.run([ONNX_OUTPUT], {ONNX_INPUT: pixels})
        return np.asarray(logits, dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``[N, classes]`` logits, numerically stable."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
