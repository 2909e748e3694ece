"""Baseline for benchmarks/serve_load.py: the same weights served the way a typical guide does it
(FastAPI, a pydantic body of nested float lists, eager PyTorch, `uvicorn --workers N`).

Given the project's resources: as many workers, one torch thread each.
"""

import os

import bentoml
import numpy as np
import torch
from fastapi import FastAPI
from pydantic import BaseModel

from mnist_assets.serving.model_store import load_model

torch.set_num_threads(1)
model = load_model(bentoml.models.get(os.environ["MNIST_BENTO_MODEL"]).path)
app = FastAPI()


class Digit(BaseModel):
    image: list[list[float]]


@app.post("/predict")
def predict(body: Digit) -> dict:
    pixels = torch.from_numpy(np.asarray(body.image, dtype=np.float32))[None, None]
    with torch.no_grad():
        probabilities = torch.softmax(model(pixels), dim=1)[0]
    return {
        "digit": int(probabilities.argmax()),
        "confidence": float(probabilities.max()),
        "probabilities": probabilities.tolist(),
    }


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}
