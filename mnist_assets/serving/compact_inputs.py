"""Batches as real clients send them: raw bytes, an ``.npy`` array, or a list of PNG files.

JSON spends most of a batch request on parsing 784 floats per image; these formats carry the
pixels as they are. Each is checked by the same rules as JSON (1 to 256 images of 28x28, values
in [0, 1], finite) and refused with a message naming what is wrong, before any inference.
"""

from __future__ import annotations

import io

import numpy as np

from mnist_assets.serving.images import (
    MAX_REQUEST_PIXELS,
    ImageDecodeError,
    declared_pixels,
    image_to_pixels,
)
from mnist_assets.serving.schemas import MAX_BATCH

OCTET_STREAM = "application/octet-stream"  # N x 784 uint8 pixels, row by row
NPY = "application/x-npy"  # one array, [N, 28, 28] or [N, 784], uint8 (0-255) or floats in [0, 1]
NPY_MAGIC = b"\x93NUMPY"
PIXELS = 28 * 28


class CompactInputError(ValueError):
    """The body is not a batch of images this service reads; the message says why."""


def from_bytes(body: bytes) -> np.ndarray:
    """``N x 784`` uint8 pixels -> float32 ``[N, 28, 28]`` in [0, 1]."""
    if len(body) % PIXELS:
        raise CompactInputError(
            f"images: {len(body)} bytes is not a whole number of 28x28 images of 784 bytes"
        )
    return _checked(np.frombuffer(body, dtype=np.uint8).reshape(-1, 28, 28))


def from_npy(body: bytes) -> np.ndarray:
    """An ``.npy`` array, its header checked before its data is read."""
    stream = io.BytesIO(body)
    headers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    try:
        version = np.lib.format.read_magic(stream)
        if version not in headers:
            raise ValueError(f"format version {version}")
        shape, fortran, dtype = headers[version](stream)
    except (ValueError, SyntaxError, TypeError) as exc:
        raise CompactInputError(f"images: not an .npy array ({exc})") from exc
    if dtype.hasobject or dtype.kind not in "uf" or fortran:
        raise CompactInputError(f"images: an .npy array of {dtype} is not pixels (uint8 or float)")
    if len(shape) not in (2, 3) or tuple(shape[1:]) not in ((784,), (28, 28)):
        raise CompactInputError(f"images: shape {tuple(shape)}, expected [N, 28, 28] or [N, 784]")
    count = int(shape[0])
    _check_count(count)
    data = stream.read()
    if len(data) != count * PIXELS * dtype.itemsize:
        raise CompactInputError(f"images: the .npy array holds {len(data)} bytes, not {shape}")
    return _checked(np.frombuffer(data, dtype=dtype).reshape(count, 28, 28))


def from_pngs(files: list[tuple[str, bytes]]) -> np.ndarray:
    """PNG or JPEG files (name, bytes), each converted like ``/predict/image``.

    Every header is read first: a batch declaring more than ``MAX_REQUEST_PIXELS`` together
    is refused before any image is decoded.
    """
    _check_count(len(files))
    declared = 0
    for index, (name, data) in enumerate(files):
        try:
            declared += declared_pixels(data)
        except ImageDecodeError as exc:
            raise CompactInputError(f"images[{index}] ({name}): {exc}") from exc
    if declared > MAX_REQUEST_PIXELS:
        raise CompactInputError(
            f"images: {len(files)} images declare {declared:,} pixels together, over the "
            f"{MAX_REQUEST_PIXELS:,}-pixel limit of one request"
        )
    pixels = []
    for index, (name, data) in enumerate(files):
        try:
            pixels.append(image_to_pixels(data))
        except ImageDecodeError as exc:
            raise CompactInputError(f"images[{index}] ({name}): {exc}") from exc
    return np.stack(pixels)


def _check_count(count: int) -> None:
    if count < 1:
        raise CompactInputError("images: at least 1 image")
    if count > MAX_BATCH:
        raise CompactInputError(f"images: {count} images, at most {MAX_BATCH}")


def _checked(images: np.ndarray) -> np.ndarray:
    """Range and finiteness checked once over the whole batch, as float32 in [0, 1]."""
    _check_count(len(images))
    if images.dtype == np.uint8:
        return images.astype(np.float32) * np.float32(1 / 255)
    pixels = images.astype(np.float32)
    if not np.isfinite(pixels).all():
        where = np.argwhere(~np.isfinite(pixels))[0]
        raise CompactInputError(f"images{_index(where)}: Input should be a finite number")
    if (outside := (pixels < 0) | (pixels > 1)).any():
        where = np.argwhere(outside)[0]
        raise CompactInputError(f"images{_index(where)}: values must be in [0, 1]")
    return pixels


def _index(where: np.ndarray) -> str:
    return "".join(f"[{int(i)}]" for i in where)
