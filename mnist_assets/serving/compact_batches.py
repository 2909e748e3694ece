"""``POST /predict/batch`` with a compact body: raw bytes, an ``.npy`` array or PNG files.

Decoded and checked without JSON, by the same rules (see compact_inputs). The threshold comes
from the query (``?confidence_threshold=0.7``); a JSON body carries its own.
"""

from __future__ import annotations

import json
import math
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
from mnist_assets.serving.errors import InvalidBody
from mnist_assets.serving.json_bodies import DEFAULT_THRESHOLD, THRESHOLD
from mnist_assets.serving.multipart_guard import MULTIPART, media_type_of
from mnist_assets.serving.schemas import MAX_BATCH

ROUTE = "/predict/batch"
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


def query_threshold(request: Request) -> float | None:
    """The ``confidence_threshold`` of the query string, or None when it has none."""
    query = parse_qs(request.scope.get("query_string", b"").decode(errors="replace"))
    return _threshold(query) if THRESHOLD in query else None


async def compact_pixels(request: Request) -> tuple[np.ndarray, float]:
    """The pixels (float32 ``[N, 28, 28]``) and threshold of a compact batch body."""
    try:
        threshold = query_threshold(request)
        pixels = await _pixels(request)
    except CompactInputError as exc:
        raise InvalidBody("invalid batch", str(exc)) from None
    return pixels, DEFAULT_THRESHOLD if threshold is None else threshold


def _threshold(query: dict[str, list[str]]) -> float:
    values = query.get(THRESHOLD, [str(DEFAULT_THRESHOLD)])
    try:
        value = float(json.loads(values[-1]))
    except (ValueError, TypeError) as exc:
        raise CompactInputError(f"{THRESHOLD}: Input should be a valid number") from exc
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise CompactInputError(f"{THRESHOLD}: Input should be a number in [0, 1]")
    return value


async def _pixels(request: Request) -> np.ndarray:
    media_type, params = media_type_of(request.headers.get("content-type", ""))
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
