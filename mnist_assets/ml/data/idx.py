"""The IDX file format MNIST is distributed in: strict reading and writing of ubyte files.

Layout: two zero bytes, a type code (``0x08`` = unsigned byte), the number of dimensions, then
one big-endian ``uint32`` per dimension, then the data in C order. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"


class IdxFormatError(ValueError):
    """An IDX file that cannot be read as MNIST; the message names the file and the problem."""


def read_idx(path: Path, expected_ndim: int) -> np.ndarray:
    """Read a (possibly gzipped) ubyte IDX file with ``expected_ndim`` dimensions."""
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IdxFormatError(f"{path}: corrupt gzip stream ({exc})") from exc
    if len(raw) < 4:
        raise IdxFormatError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code != UBYTE:
        raise IdxFormatError(
            f"{path}: wrong magic number 0x{raw[:4].hex()} (expected 0x0000080{expected_ndim})"
        )
    if ndim != expected_ndim:
        raise IdxFormatError(f"{path}: {ndim} dimensions, expected {expected_ndim}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IdxFormatError(f"{path}: truncated header")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = int(np.prod(shape)) + header_size
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{path}: {problem}: {len(raw)} bytes for shape {list(shape)}, expected {expected}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """Write a ``uint8`` array as an IDX file, gzipped when ``compress`` is true."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX writer takes uint8 arrays, got {array.dtype}")
    header = struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + np.ascontiguousarray(array).tobytes()
    # mtime=0 keeps gzipped output byte-reproducible.
    path.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
