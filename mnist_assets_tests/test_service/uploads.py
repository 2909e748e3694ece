"""Files for upload tests: real PNGs, one that declares a huge size, and .npy arrays."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png(array: np.ndarray) -> bytes:
    """``array`` (uint8, grey) as PNG file bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def header_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-pixel PNG whose header declares ``width`` x ``height`` pixels (CRC fixed up)."""
    bomb = bytearray(png(np.zeros((1, 1), dtype=np.uint8)))
    ihdr = bomb.index(b"IHDR")
    bomb[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    bomb[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(bomb[ihdr : ihdr + 17])))
    return bytes(bomb)


def npy(array: np.ndarray) -> bytes:
    """``array`` as ``.npy`` file bytes."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


OCTET = {"content-type": "application/octet-stream"}  # headers of compact batch bodies
NPY = {"content-type": "application/x-npy"}
