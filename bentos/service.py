"""The MNIST prediction service (BentoML 1.4 service API)."""

import gc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, cast

import bentoml
import numpy as np
from bentoml.validators import ContentType
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mnist_assets.constants import BENTO_MODEL_NAME, BENTO_SERVICE_NAME
from mnist_assets.serving import metrics
from mnist_assets.serving.compact_batches import OPENAPI as COMPACT_OPENAPI
from mnist_assets.serving.compact_batches import compact_pixels
from mnist_assets.serving.compact_inputs import NPY, OCTET_STREAM
from mnist_assets.serving.decode_pool import off_loop
from mnist_assets.serving.errors import InvalidBody
from mnist_assets.serving.fast_path import FastPath
from mnist_assets.serving.frozen_heap import FrozenHeap
from mnist_assets.serving.images import ImageDecodeError, image_to_pixels
from mnist_assets.serving.json_bodies import THRESHOLD, json_pixels
from mnist_assets.serving.middleware import OPEN_PATHS, BearerToken, BodySizeLimit, DeclaredErrors
from mnist_assets.serving.multipart_guard import MULTIPART, declared_inputs
from mnist_assets.serving.openapi import CompletedOpenApi, completed
from mnist_assets.serving.schemas import (
    BatchPrediction,
    FeedbackAnswer,
    Health,
    Image,
    Images,
    Label,
    ModelInfo,
    Prediction,
    RecentInputs,
    Threshold,
)
from mnist_assets.settings import settings

# The model to serve: the bento's build argument when built by mnist_bento (so a bento always
# serves the model it was built with), else MNIST_BENTO_MODEL, else the newest stored one.
MODEL_TAG = (
    getattr(bentoml.use_arguments(), "model_tag", None)
    or settings().bento_model
    or f"{BENTO_MODEL_NAME}:latest"
)


@bentoml.service(
    name=BENTO_SERVICE_NAME,
    traffic={"timeout": 10},
    workers=settings().workers,
    metrics={"duration": {"buckets": list(metrics.LATENCY_BUCKETS)}},
    logging={"access": {"enabled": settings().access_log}},
)
class MnistService:
    """Predicts digits from 28x28 pixel arrays or uploaded images."""

    model_ref = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        from mnist_assets.ml.monitoring.drift import BatchStatistics
        from mnist_assets.serving.labelling import Labelling
        from mnist_assets.serving.live_drift import LiveDrift
        from mnist_assets.serving.model_store import DRIFT_REFERENCE, load_predictor, model_info

        # The variant mnist_bento packed: int8 ONNX Runtime when it kept the accuracy (PyTorch
        # is then never imported), one thread per worker: small convs gain nothing from more.
        self.predictor = load_predictor(self.model_ref)
        self.drift = LiveDrift(BatchStatistics.load(Path(self.model_ref.path) / DRIFT_REFERENCE))
        metrics.DRIFT_SCORE.set(float("nan"))  # no score until a window of traffic has arrived
        # Every prediction, with its id, for feedback and for labelling drifted traffic, in
        # files every worker of this server reads.
        worker = bentoml.server_context.worker_index or 0
        self.labelling = Labelling.start(settings().bentoml_home / "predictions", worker)
        self.info = model_info(self.model_ref, self.predictor.runtime)
        metrics.announce(self.info)
        # Everything loaded so far lives as long as the worker: keep full collections from
        # walking it (torch's, ONNX Runtime's and BentoML's objects) in the middle of a request.
        gc.collect()
        gc.freeze()
        self.heap = FrozenHeap()  # and what requests leave behind, as they go

    def classify(self, pixels: np.ndarray, threshold: float) -> list[Prediction]:
        """Predictions for ``[N, 28, 28]`` pixels in [0, 1], counted in the metrics and drift."""
        from mnist_assets.ml.inference.predictors import softmax

        self.heap.tick()
        probabilities = softmax(self.predictor.logits(pixels[:, None]))
        digits, confidences = probabilities.argmax(1), probabilities.max(1)
        ids = self.labelling.ring.add(pixels, digits, confidences)
        predictions = [
            Prediction(
                id=prediction_id,
                digit=int(row.argmax()),
                confidence=float(row.max()),
                probabilities=row.tolist(),
                below_threshold=bool(row.max() < threshold),
            )
            for prediction_id, row in zip(ids, probabilities, strict=True)
        ]
        metrics.observe(pixels, predictions)
        score = self.drift.update(pixels, digits, confidences)
        if score is not None:
            metrics.DRIFT_SCORE.set(score)
        return predictions

    # async: a sub-millisecond forward pass costs less inline than a hop to the thread pool.
    @bentoml.api(route="/predict")
    async def predict(self, image: Image, confidence_threshold: Threshold = 0.5) -> Prediction:
        """One 28x28 image, pixel values in [0, 1] (MNIST after ToTensor)."""
        pixels = np.asarray(image, dtype=np.float32)[None]
        return self.classify(pixels, confidence_threshold)[0]

    @bentoml.api(route="/predict/batch")
    async def predict_batch(
        self, images: Images, confidence_threshold: Threshold = 0.5
    ) -> BatchPrediction:
        """Up to 256 images in one request; predictions come back in the same order."""
        pixels = np.asarray(images, dtype=np.float32)
        return BatchPrediction(predictions=self.classify(pixels, confidence_threshold))

    @bentoml.api(route="/predict/image")
    async def predict_image(
        self,
        image: Annotated[Path, ContentType("image/*")],
        confidence_threshold: Threshold = 0.5,
    ) -> Prediction:
        """A PNG or JPEG upload of one digit, converted like MNIST (decoded off the loop)."""
        try:
            pixels = await off_loop(image_to_pixels, Path(image).read_bytes())
        except ImageDecodeError as exc:
            raise bentoml.exceptions.InvalidArgument(f"image: {exc}") from exc
        return self.classify(pixels[None], confidence_threshold)[0]

    @bentoml.api(route="/feedback")
    async def feedback(self, id: str, label: Label) -> FeedbackAnswer:
        """The true digit of an earlier prediction, named by the ``id`` it was answered with."""
        return self.labelling.record(id, label)


async def _model_info(request: Request) -> JSONResponse:
    """GET /model/info: which model is serving and where it came from."""
    bento = str(service.bento.tag) if service.bento else ""
    return JSONResponse(_worker().info.model_copy(update={"bento": bento}).model_dump())


async def _recent_inputs(request: Request) -> JSONResponse:
    """GET /inputs/recent: what every worker kept, and what feedback labelled, for labelling."""
    return JSONResponse(_worker().labelling.recent().model_dump())


async def _health(request: Request) -> JSONResponse:
    """GET /health: up, with the model version, for humans and load balancers."""
    return JSONResponse(
        Health(status="ok", model_version=_worker().info.model_version).model_dump()
    )


# The fast path: JSON and compact bodies decoded straight into numpy (one orjson parse and array
# checks instead of pydantic's per-pixel validation and BentoML's per-request machinery; see
# docs/performance.md), answered by the worker's classify like BentoML's routes would.
async def _predict_json(request: Request) -> Prediction:
    body = await request.body()
    pixels, threshold = json_pixels(body, service.apis["predict"].input_spec, "image", False)
    return _worker().classify(pixels, threshold)[0]


async def _batch_json(request: Request) -> BatchPrediction:
    if THRESHOLD in request.query_params:
        detail = f"{THRESHOLD}: a JSON body carries it as a field, not in the query"
        raise InvalidBody("1 invalid field", detail)
    body = await request.body()
    model = service.apis["predict_batch"].input_spec
    pixels, threshold = json_pixels(body, model, "images", True)
    return BatchPrediction(predictions=_worker().classify(pixels, threshold))


async def _batch_compact(request: Request) -> BatchPrediction:
    pixels, threshold = await compact_pixels(request)
    return BatchPrediction(predictions=_worker().classify(pixels, threshold))


def _worker() -> MnistService:
    return bentoml.get_current_service()


# @bentoml.service returns a bentoml.Service, which its type hints present as the class itself.
service = cast(bentoml.Service[MnistService], MnistService)

# Every route, what it takes, and what answers it:
#   POST /predict         application/json                      the fast path (_predict_json)
#   POST /predict/batch   application/json                      the fast path (_batch_json)
#                         octet-stream, x-npy, multipart (PNGs)  the fast path (_batch_compact)
#   POST /predict/image   multipart/form-data (one PNG or JPEG)  BentoML: predict_image, parts
#                                                                checked first
#   POST /feedback        application/json {"id", "label"}       BentoML: feedback
#   GET  /model/info, /health, /inputs/recent (always a token)  the small app mounted below
#   GET  /livez, /readyz, /metrics, /docs, /docs.json           BentoML (the document completed)
# BentoML's declarations of /predict and /predict/batch give the OpenAPI schema and its clients.
FAST = {
    "/predict": {"application/json": _predict_json},
    "/predict/batch": {
        "application/json": _batch_json,
        OCTET_STREAM: _batch_compact,
        NPY: _batch_compact,
        MULTIPART: _batch_compact,
    },
}
GETS: dict[str, tuple[Callable, type[BaseModel]]] = {  # path: (handler, what it answers)
    "/model/info": (_model_info, ModelInfo),
    "/inputs/recent": (_recent_inputs, RecentInputs),
    "/health": (_health, Health),
}
service.mount_asgi_app(Starlette(routes=[Route(p, h) for p, (h, _) in GETS.items()]), path="/")
# Outermost first. Across every route: the size cap (also where no gateway stands in front, as
# on Kubernetes) and the token; then the document, the prediction routes, the error shape.
token = settings().api_token
service.add_asgi_middleware(BodySizeLimit, max_bytes=settings().max_body_bytes)
service.add_asgi_middleware(
    BearerToken,
    token=token,
    guarded=("/inputs/recent",),
    guard_token=lambda: settings().review_token,
)
service.add_asgi_middleware(
    CompletedOpenApi,
    complete=partial(
        completed,
        token_required=bool(token),
        open_paths=OPEN_PATHS,
        gets={path: answer for path, (_, answer) in GETS.items()},
        posts=COMPACT_OPENAPI,
        guarded=("/inputs/recent",),
        answers={"/feedback": {"409": "The prediction was labelled already"}},
    ),
)
service.add_asgi_middleware(FastPath, fast=FAST, declared=declared_inputs(service.apis))
service.add_asgi_middleware(DeclaredErrors)
