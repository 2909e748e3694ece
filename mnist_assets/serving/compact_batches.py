"""``POST /predict/batch`` with a compact body: decoded, checked and predicted without JSON.

BentoML's route takes JSON; this middleware answers the same route when the body is raw bytes,
an ``.npy`` array or PNG files, with the same predictions, metrics and error shape. The
threshold comes from the query (``?confidence_threshold=0.7``); a JSON body carries its own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from urllib.parse import parse_qs

import numpy as np
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from mnist_assets.serving.compact_inputs import (
    NPY,
    NPY_MAGIC,
    OCTET_STREAM,
    CompactInputError,
    from_bytes,
    from_npy,
    from_pngs,
)
from mnist_assets.serving.decode_pool import off_loop
from mnist_assets.serving.middleware import ASGIApp, Receive, Scope, Send, reply, send_json
from mnist_assets.serving.request_guard import MULTIPART, media_type_of
from mnist_assets.serving.schemas import MAX_BATCH, BatchPrediction, Predict

ROUTE = "/predict/batch"
THRESHOLD = "confidence_threshold"
DEFAULT_THRESHOLD = 0.5
COMPACT = (OCTET_STREAM, NPY, MULTIPART)


_BINARY = {"schema": {"type": "string", "format": "binary"}}
# What the OpenAPI document says of the compact bodies (see openapi.completed).
OPENAPI = {
    ROUTE: {
        "content": {
            OCTET_STREAM: _BINARY,  # N x 784 uint8 pixels, or an .npy file
            NPY: _BINARY,
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "required": ["images"],
                    "properties": {
                        "images": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": MAX_BATCH,
                        }
                    },
                }
            },
        },
        "parameters": [
            {
                "name": THRESHOLD,
                "in": "query",
                "required": False,
                "description": "For compact bodies only (a JSON body carries it as a field)",
                "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
            }
        ],
    }
}


class CompactBatches:
    """Serve compact batch bodies with ``predict``; pass everything else on."""

    def __init__(self, app: ASGIApp, predict: Callable[[], Predict]) -> None:
        self.app, self.predict = app, predict

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != ROUTE or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"content-type", b"").decode(errors="replace")
        media_type, _ = media_type_of(header)
        query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
        if media_type not in COMPACT:
            if THRESHOLD in query:
                detail = f"{THRESHOLD}: a JSON body carries it as a field, not in the query"
                await reply(send, 400, "1 invalid field", detail)
                return
            await self.app(scope, receive, send)
            return
        try:
            threshold = _threshold(query)
            pixels = await _pixels(scope, receive, header)
        except CompactInputError as exc:
            await reply(send, 400, "invalid batch", str(exc))
            return
        answer = BatchPrediction(predictions=self.predict()(pixels, threshold))
        await send_json(send, 200, answer.model_dump_json().encode())


def _threshold(query: dict[str, list[str]]) -> float:
    values = query.get(THRESHOLD, [str(DEFAULT_THRESHOLD)])
    try:
        value = float(json.loads(values[-1]))
    except (ValueError, TypeError) as exc:
        raise CompactInputError(f"{THRESHOLD}: Input should be a valid number") from exc
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise CompactInputError(f"{THRESHOLD}: Input should be a number in [0, 1]")
    return value


async def _pixels(scope: Scope, receive: Receive, header: str) -> np.ndarray:
    request = Request(scope, receive)
    media_type, params = media_type_of(header)
    if media_type in (OCTET_STREAM, NPY):
        body = await request.body()
        # An .npy file sent as octet-stream is known by its magic string.
        return from_npy(body) if body.startswith(NPY_MAGIC) else from_bytes(body)
    if not params.get("boundary"):
        raise CompactInputError("multipart body without a boundary in its content-type header")
    try:
        form = await request.form(max_files=MAX_BATCH + 1, max_fields=MAX_BATCH + 1)
    except MultiPartException as exc:
        raise CompactInputError(f"images: {exc.message}") from exc
    except HTTPException as exc:  # Starlette's words when it runs inside an app
        raise CompactInputError(f"images: {exc.detail}") from exc
    try:
        parts = form.multi_items()
        if names := sorted({name for name, _ in parts} - {"images"}):
            raise CompactInputError(f"unknown part {', '.join(names)}; send image files as images")
        files = [value for _, value in parts if isinstance(value, UploadFile)]
        if len(files) != len(parts):
            raise CompactInputError("images: each part must be an uploaded file, not text")
        uploads = [(file.filename or "", await file.read()) for file in files]
        return await off_loop(from_pngs, uploads)
    finally:
        await form.close()
