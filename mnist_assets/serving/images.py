"""Uploaded PNG/JPEG files to MNIST-style pixels: grey, light digit on dark, 28x28, in [0, 1]."""

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_assets.settings import settings

# Headers declaring more are refused before any pixel is decoded (settings in env).
MAX_PIXELS = settings().max_image_pixels
MAX_REQUEST_PIXELS = settings().max_request_pixels


class ImageDecodeError(ValueError):
    """The upload is not an image this service can read."""


def _open(data: bytes) -> Image.Image:
    """The image with only its header read; its declared size checked against the cap."""
    image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageDecodeError(
            f"image is {width}x{height} pixels, over the {MAX_PIXELS:,}-pixel limit"
        )
    return image


def declared_pixels(data: bytes) -> int:
    """Pixels the file's header declares (the per-image cap checked), nothing decoded."""
    try:
        width, height = _open(data).size
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not a PNG or JPEG image") from exc
    except (Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ImageDecodeError(f"not a PNG or JPEG image this service reads ({exc})") from exc
    return int(width * height)


def image_to_pixels(data: bytes) -> np.ndarray:
    """Decode, grey, invert dark-on-light drawings, fit the digit into 20x20 centred in 28x28.

    MNIST digits are white strokes on black, size-normalised to 20x20 and centred by mass in a
    28x28 frame; photos and drawings usually are black on white, so they are inverted.
    """
    try:
        grey = np.asarray(_open(data).convert("L"), dtype=np.float32) / 255.0
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not a PNG or JPEG image") from exc
    except (Image.DecompressionBombError, OSError, SyntaxError) as exc:
        # Pillow refuses declared sizes far beyond its own limit before the check above runs,
        # and names truncated or corrupt data.
        raise ImageDecodeError(f"not a PNG or JPEG image this service reads ({exc})") from exc
    if grey.mean() > 0.5:  # light background: a drawing or a scan
        grey = 1.0 - grey
    ink = np.argwhere(grey > 0.1)
    if len(ink) == 0:
        return np.zeros((28, 28), dtype=np.float32)
    (top, left), (bottom, right) = ink.min(0), ink.max(0) + 1
    digit = Image.fromarray((grey[top:bottom, left:right] * 255).astype(np.uint8))
    scale = 20 / max(digit.size)
    size = (max(1, round(digit.size[0] * scale)), max(1, round(digit.size[1] * scale)))
    digit = digit.resize(size, Image.Resampling.LANCZOS)
    frame = np.zeros((28, 28), dtype=np.float32)
    y, x = (28 - size[1]) // 2, (28 - size[0]) // 2
    frame[y : y + size[1], x : x + size[0]] = np.asarray(digit, dtype=np.float32) / 255.0
    return np.clip(frame, 0.0, 1.0)
