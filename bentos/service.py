"""The MNIST prediction service (BentoML 1.4 service API)."""

import gc
import hmac
from functools import partial
from pathlib import Path
from typing import Annotated, cast

import bentoml
import numpy as np
from bentoml.validators import ContentType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mnist_assets import env
from mnist_assets.constants import BENTO_MODEL_NAME, BENTO_SERVICE_NAME
from mnist_assets.serving import metrics
from mnist_assets.serving.compact_batches import OPENAPI as COMPACT_OPENAPI
from mnist_assets.serving.compact_batches import CompactBatches
from mnist_assets.serving.decode_pool import off_loop
from mnist_assets.serving.fast_json import FastJson
from mnist_assets.serving.frozen_heap import FrozenHeap
from mnist_assets.serving.images import ImageDecodeError, image_to_pixels
from mnist_assets.serving.middleware import OPEN_PATHS, BearerToken, BodySizeLimit, DeclaredErrors
from mnist_assets.serving.openapi import CompletedOpenApi, completed
from mnist_assets.serving.request_guard import RequestGuard, declared_inputs
from mnist_assets.serving.schemas import (
    BatchPrediction,
    Health,
    Image,
    Images,
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
        from mnist_assets.serving.live_drift import LiveDrift
        from mnist_assets.serving.model_store import DRIFT_REFERENCE, load_predictor
        from mnist_assets.serving.recent_inputs import InputRing, server_folder

        # The variant mnist_bento packed: int8 ONNX Runtime when it kept the accuracy (PyTorch
        # is then never imported), one thread per worker: small convs gain nothing from more.
        self.predictor = load_predictor(self.model_ref)
        self.drift = LiveDrift(BatchStatistics.load(Path(self.model_ref.path) / DRIFT_REFERENCE))
        metrics.DRIFT_SCORE.set(float("nan"))  # no score until a window of traffic has arrived
        # The recent inputs the drift sensor saves for labelling (monitoring.yaml, review).
        ring_size = env.monitoring_settings()["review"]["ring_size"]
        self.recent_folder = server_folder(settings().bentoml_home / "recent_inputs")
        worker = bentoml.server_context.worker_index or 0
        self.recent = InputRing(self.recent_folder, worker, ring_size) if ring_size else None
        labels, extra = self.model_ref.info.labels, self.model_ref.info.metadata
        self.info = ModelInfo(
            bento_model=str(self.model_ref.tag),
            model_version=labels.get("model_version", ""),
            mlflow_run_id=labels.get("mlflow_run_id", ""),
            data_version=labels.get("data_version", ""),
            git_commit=labels.get("git_commit", ""),
            test_accuracy=float(extra.get("test_accuracy", 0.0)),
            runtime=self.predictor.runtime,
        )
        metrics.MODEL_INFO.labels(version=self.info.model_version, tag=self.info.bento_model).set(1)
        # Everything loaded so far lives as long as the worker: keep the garbage collector's full
        # collections from walking it (hundreds of thousands of objects of torch, ONNX Runtime
        # and BentoML) in the middle of a request.
        gc.collect()
        gc.freeze()
        self.heap = FrozenHeap()  # and what requests leave behind, as they go

    def classify(self, pixels: np.ndarray, threshold: float) -> list[Prediction]:
        """Predictions for ``[N, 28, 28]`` pixels in [0, 1], counted in the metrics and drift."""
        from mnist_assets.ml.inference.predictors import softmax

        self.heap.tick()
        probabilities = softmax(self.predictor.logits(pixels[:, None]))
        predictions = [
            Prediction(
                digit=int(row.argmax()),
                confidence=float(row.max()),
                probabilities=row.tolist(),
                below_threshold=bool(row.max() < threshold),
            )
            for row in probabilities
        ]
        metrics.observe(pixels, predictions)
        if self.recent is not None:
            self.recent.add(pixels)
        score = self.drift.update(pixels, probabilities.argmax(1), probabilities.max(1))
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


async def _model_info(request: Request) -> JSONResponse:
    """GET /model/info: which model is serving and where it came from."""
    instance: MnistService = bentoml.get_current_service()
    bento = str(service.bento.tag) if service.bento else ""
    return JSONResponse(instance.info.model_copy(update={"bento": bento}).model_dump())


async def _recent_inputs(request: Request) -> JSONResponse:
    """GET /inputs/recent: the inputs every worker kept, for labelling drifted traffic."""
    from mnist_assets.serving.recent_inputs import read_rings

    # Users' inputs: never without a token, even where predictions are open to all.
    expected = settings().api_token or settings().review_token
    given = request.headers.get("authorization", "")
    if expected is None or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        detail = (
            "send the header Authorization: Bearer <token> (MNIST_API_TOKEN, or the deploy's own "
            "in <run folder>/review-token)"
            if expected
            else "no token is set for this service: set MNIST_API_TOKEN or MNIST_REVIEW_TOKEN"
        )
        return JSONResponse(
            {"error": "missing or wrong bearer token", "detail": detail},
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )
    instance: MnistService = bentoml.get_current_service()
    images, workers = read_rings(instance.recent_folder)
    return JSONResponse(RecentInputs(images=images.tolist(), workers=workers).model_dump())


async def _health(request: Request) -> JSONResponse:
    """GET /health: up, with the model version, for humans and load balancers."""
    service: MnistService = bentoml.get_current_service()
    return JSONResponse(Health(status="ok", model_version=service.info.model_version).model_dump())


# @bentoml.service returns a bentoml.Service, which its type hints present as the class itself.
service = cast(bentoml.Service[MnistService], MnistService)
# BentoML's own routes are POST; these GETs sit behind them in a small mounted app.
service.mount_asgi_app(
    Starlette(
        routes=[
            Route("/model/info", _model_info),
            Route("/inputs/recent", _recent_inputs),
            Route("/health", _health),
        ]
    ),
    path="/",
)
# Outermost first: the size cap, the token, the document, the route guard, the error shape.
service.add_asgi_middleware(BodySizeLimit, max_bytes=settings().max_body_bytes)
if token := settings().api_token:
    service.add_asgi_middleware(BearerToken, token=token)
service.add_asgi_middleware(
    CompletedOpenApi,
    complete=partial(
        completed,
        token_required=bool(token),
        open_paths=OPEN_PATHS,
        gets={"/model/info": ModelInfo, "/inputs/recent": RecentInputs, "/health": Health},
        posts=COMPACT_OPENAPI,
        guarded=("/inputs/recent",),
    ),
)
# Raw bytes, .npy and PNG batches on /predict/batch, and well-formed JSON on both prediction
# routes, answered by the worker's own instance; the rest goes on to BentoML's routes.
service.add_asgi_middleware(CompactBatches, predict=lambda: bentoml.get_current_service().classify)
service.add_asgi_middleware(FastJson, predict=lambda: bentoml.get_current_service().classify)
service.add_asgi_middleware(RequestGuard, routes=declared_inputs(service.apis))
service.add_asgi_middleware(DeclaredErrors)
