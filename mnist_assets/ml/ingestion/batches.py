"""Labelled batches users drop in: read them (``.npz`` or a folder of PNGs) and validate them.

- ``.npz`` with ``images`` (``[N, 28, 28]``, uint8 0-255 or floats in [0, 1]) and ``labels``
  (``[N]`` integers 0-9).
- A folder of 28x28 greyscale PNGs, white digit on black like MNIST, labelled by a parent folder
  named after the digit (``7/any.png``) or by the file name's first character (``7_any.png``).
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_assets.ml.data.dataset import IMAGE_SHAPE, NUM_CLASSES, MnistArrays
from mnist_assets.ml.data.splits import image_hashes


class BatchError(ValueError):
    """A batch that cannot join the data; the message says why."""


@dataclass(frozen=True)
class BatchLimits:
    """What one batch may be."""

    max_images: int = 100_000  # a bigger batch is more likely a mistake than a labelled delivery
    max_bytes: int = 200_000_000  # on disk, checked before anything is decoded


def entry_kind(path: Path) -> str | None:
    """None for a regular file or a plain folder; else what ``path`` is, without following it.

    Symbolic links, FIFOs, sockets and devices are never opened: reading a FIFO blocks, and a
    link leads anywhere.
    """
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = {stat.S_ISLNK: "a symbolic link", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket"}
    return next((kind for test, kind in kinds.items() if test(mode)), "a device")


def read_batch(path: Path, limits: BatchLimits) -> MnistArrays:
    """The batch at ``path`` as uint8 images and labels (BatchError when it is malformed)."""
    if (kind := entry_kind(path)) is not None:
        raise BatchError(f"{path.name} is {kind}, not a regular file or folder: left unopened")
    size = _size_on_disk(path)
    if size > limits.max_bytes:
        raise BatchError(f"{path.name} is {size:,} bytes, over the limit of {limits.max_bytes:,}")
    if path.is_dir():
        batch = _read_png_folder(path, limits)
    elif path.suffix == ".npz":
        batch = _read_npz(path, limits)
    else:
        raise BatchError(f"{path.name}: expected a .npz file or a folder of PNGs")
    if len(batch) == 0:
        raise BatchError(f"{path.name} holds no images")
    if len(batch) > limits.max_images:
        raise BatchError(f"{path.name} holds {len(batch):,} images, over {limits.max_images:,}")
    return batch


def check_duplicates(batch: MnistArrays, known: set[str]) -> list[str]:
    """Refuse images that repeat one another or whose hash is in ``known`` (the data's).

    Returns the batch's image hashes.
    """
    hashes = image_hashes(batch.images)
    _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    if (counts > 1).any():
        repeated = sorted(first[counts > 1].tolist())
        raise BatchError(
            f"{int((counts - 1).sum())} images repeat within the batch "
            f"(first at index {repeated[0]})"
        )
    seen = np.array([digest in known for digest in hashes])
    if seen.any():
        raise BatchError(
            f"{int(seen.sum())} of {len(batch)} images are already in the data "
            f"(first at index {int(np.argmax(seen))})"
        )
    return hashes.tolist()


def _folder_files(folder: Path) -> list[Path]:
    """Every entry below ``folder`` but folders, never following links (BatchError on odd ones)."""
    files = []
    for parent, _, names in os.walk(folder, followlinks=False):
        for name in names:
            file = Path(parent, name)
            if (kind := entry_kind(file)) is not None:
                relative = file.relative_to(folder)
                raise BatchError(f"{folder.name}/{relative} is {kind}: left unopened")
            files.append(file)
    return sorted(files)


def _size_on_disk(path: Path) -> int:
    if path.is_dir():
        return sum(file.lstat().st_size for file in _folder_files(path))
    return path.lstat().st_size


NPZ_MEMBERS = ("images", "labels")  # the arrays a batch's .npz holds


def _read_npz(path: Path, limits: BatchLimits) -> MnistArrays:
    """The archive's members, each checked by its declared shape and size before decompressing."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            missing = sorted(set(NPZ_MEMBERS) - set(members))
            if missing:
                raise BatchError(f"{path.name} lacks {missing} (has {sorted(members)})")
            arrays = {}
            for name in NPZ_MEMBERS:
                with archive.open(members[name]) as member:
                    arrays[name] = _read_member(member, members[name], limits, path.name)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, BatchError):
            raise
        raise BatchError(f"{path.name} is not a readable .npz archive ({exc})") from exc
    images, labels = arrays["images"], arrays["labels"]
    return MnistArrays(_as_pixels(images, path.name), _as_labels(labels, len(images), path.name))


def _read_member(
    member: IO[bytes], info: zipfile.ZipInfo, limits: BatchLimits, batch: str
) -> np.ndarray:
    """One .npy member: its header first, then exactly the bytes that header declares."""
    name = f"{batch}/{info.filename}"
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise BatchError(f"{name}: .npy format version {version} is not supported")
    _check_declared(info, shape, dtype, limits, batch)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    data = member.read(size)  # decompresses no more than the checked size
    if len(data) != size:
        raise BatchError(f"{name} is truncated: {len(data):,} of {size:,} bytes")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")


def _check_declared(
    info: zipfile.ZipInfo,
    shape: tuple[int, ...],
    dtype: np.dtype,
    limits: BatchLimits,
    batch: str,
) -> None:
    """Refuse a member of Python objects, or whose entry count or unpacked size is too big.

    Which numbers a member may hold is checked once it is read, with a message per field.
    """
    name = f"{batch}/{info.filename}"
    if dtype.hasobject:
        raise BatchError(f"{name} holds Python objects, not numbers: refused unread")
    if shape and shape[0] > limits.max_images:
        raise BatchError(f"{name} declares {shape[0]:,} entries, over {limits.max_images:,}")
    values = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    ceiling = values + 4096  # the .npy header is at most a few hundred bytes
    if info.file_size > ceiling or values > limits.max_images * 28 * 28 * 8:
        raise BatchError(
            f"{name} would unpack to {info.file_size:,} bytes for {list(shape)} {dtype}: "
            "refused before decompressing"
        )


def _as_pixels(images: np.ndarray, name: str) -> np.ndarray:
    """uint8 0-255 as they are; floats in [0, 1] scaled like MNIST's ``ToTensor`` in reverse."""
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise BatchError(f"{name}: images have shape {list(images.shape)}, expected [N, 28, 28]")
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise BatchError(f"{name}: images are {images.dtype}, expected uint8 or floats in [0, 1]")
    if not np.isfinite(images).all():
        raise BatchError(f"{name}: images contain NaN or infinite values")
    low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
    if low < 0.0 or high > 1.0:
        raise BatchError(f"{name}: float pixels span [{low:g}, {high:g}], expected [0, 1]")
    return np.rint(images * 255.0).astype(np.uint8)


def _as_labels(labels: np.ndarray, count: int, name: str) -> np.ndarray:
    if labels.shape != (count,):
        raise BatchError(f"{name}: {count} images but labels have shape {list(labels.shape)}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise BatchError(f"{name}: labels are {labels.dtype}, expected integers 0-9")
    bad = (labels < 0) | (labels >= NUM_CLASSES)
    if bad.any():
        raise BatchError(
            f"{name}: {int(bad.sum())} labels outside 0-9 (first at index "
            f"{int(np.argmax(bad))}: {labels[bad][0]})"
        )
    return labels.astype(np.uint8)


def _read_png_folder(folder: Path, limits: BatchLimits) -> MnistArrays:
    files = [p for p in _folder_files(folder) if not p.name.startswith(".")]
    if len(files) > limits.max_images:
        raise BatchError(f"{folder.name} holds {len(files):,} files, over {limits.max_images:,}")
    images, labels = [], []
    for file in files:
        relative = file.relative_to(folder)
        if file.suffix.lower() != ".png":
            raise BatchError(f"{folder.name}/{relative}: only PNG files may be in a PNG batch")
        labels.append(_png_label(relative, folder.name))
        images.append(_png_pixels(file, f"{folder.name}/{relative}"))
    if not images:
        return MnistArrays(np.zeros((0, *IMAGE_SHAPE), np.uint8), np.zeros(0, np.uint8))
    return MnistArrays(np.stack(images), np.array(labels, dtype=np.uint8))


def _png_label(relative: Path, batch: str) -> int:
    parent = relative.parts[0] if len(relative.parts) > 1 else ""
    for candidate in (parent, relative.name[:2]):
        if len(candidate) == 1 and candidate.isdigit():
            return int(candidate)
        if len(candidate) == 2 and candidate[0].isdigit() and candidate[1] in "_-":
            return int(candidate[0])
    raise BatchError(
        f"{batch}/{relative}: no label (put it in a folder named after its digit, e.g. 7/, "
        "or start its name with the digit, e.g. 7_001.png)"
    )


def _png_pixels(file: Path, name: str) -> np.ndarray:
    """The pixels of a 28x28 PNG; its header's size is checked before any pixel is decoded."""
    try:
        with Image.open(file, formats=["PNG"]) as image:  # reads the header only
            if image.size != IMAGE_SHAPE:
                raise BatchError(f"{name} is {image.size[0]}x{image.size[1]}, expected 28x28")
            return np.asarray(image.convert("L"), dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise BatchError(f"{name} is not a readable PNG ({exc})") from exc
