"""Baseline for benchmarks/serve_load.py: the same weights served the way BentoML's quickstart
does it (numpy in, adaptive batching, eager PyTorch).

Given the project's resources: as many workers (MNIST_SERVICE_WORKERS), one torch thread each.
"""

import os

import bentoml
import numpy as np
import torch

from mnist_assets.serving.model_store import load_model
from mnist_assets.settings import settings

torch.set_num_threads(1)


@bentoml.service(workers=settings().workers)
class NaiveMnist:
    model_ref = bentoml.models.BentoModel(os.environ["MNIST_BENTO_MODEL"])

    def __init__(self) -> None:
        self.model = load_model(self.model_ref.path)

    @bentoml.api(batchable=True)
    def predict(self, image: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = self.model(torch.from_numpy(image.astype(np.float32)).unsqueeze(1))
        return torch.softmax(logits, dim=1).numpy()
