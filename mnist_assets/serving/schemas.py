"""Request and response bodies of the service, validated by pydantic before any inference."""

from collections.abc import Callable
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field, Strict

MAX_BATCH = 256  # images per /predict/batch request

# One pixel as MNIST after ToTensor: a number in [0, 1]; strings, NaN and infinity are refused.
Pixel = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Row = Annotated[list[Pixel], Field(min_length=28, max_length=28)]
Image = Annotated[list[Row], Field(min_length=28, max_length=28, description="28 rows of 28")]
Threshold = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Images = Annotated[list[Image], Field(min_length=1, max_length=MAX_BATCH)]


class Prediction(BaseModel):
    """The predicted digit, its probability, all ten, and whether it fell below the threshold.

    ``id`` names the prediction to ``POST /feedback`` for a while (monitoring.yaml, feedback).
    """

    id: str
    digit: int
    confidence: float
    probabilities: list[float]
    below_threshold: bool


# The service's classify: (pixels [N, 28, 28] in [0, 1], threshold) -> predictions, in order.
Predict = Callable[[np.ndarray, float], list["Prediction"]]


class BatchPrediction(BaseModel):
    """One prediction per image, in request order."""

    predictions: list[Prediction]


class ModelInfo(BaseModel):
    """What is serving: versions, lineage and the figures it was promoted on."""

    bento: str = ""  # the bento serving, when served from one (not from source)
    bento_model: str
    model_version: str
    mlflow_run_id: str
    data_version: str
    git_commit: str
    test_accuracy: float
    runtime: str


class Health(BaseModel):
    """Up, with the version of the model serving."""

    status: str
    model_version: str


Label = Annotated[int, Strict(), Field(ge=0, le=9, description="the true digit")]


class FeedbackAnswer(BaseModel):
    """The label was recorded: whether the prediction was right, and live accuracy now."""

    correct: bool
    live_accuracy: float
    labelled: int  # labelled predictions live accuracy is over


class LabelledInputs(BaseModel):
    """Inputs whose true digit came back through ``POST /feedback``, oldest first."""

    images: list[list[list[int]]]
    labels: list[int]
    digits: list[int]  # what the model predicted


class RecentInputs(BaseModel):
    """The inputs the service's workers kept, and the inputs labelled through feedback.

    Oldest first per worker, as 28x28 bytes (0-255), with what was predicted.
    """

    images: list[list[list[int]]]
    digits: list[int]
    confidences: list[float]
    workers: int  # how many workers' rings they come from
    labelled: LabelledInputs
