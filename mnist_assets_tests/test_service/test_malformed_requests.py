"""Malformed requests, one row each: the status and the words each must get, never a 5xx.

Every answer has the body shape the OpenAPI document declares, ``{"error": str, "detail": str}``,
and the service still predicts afterwards.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.constants import SERVICE_POST_ROUTES
from mnist_assets_tests.test_service.uploads import NPY, OCTET, header_bomb, npy, png

GOOD = [[0.0] * 28] * 28
DIGIT_PNG = png(np.zeros((28, 28), dtype=np.uint8))
JSON = {"content-type": "application/json"}


def _image_with(token: bytes) -> bytes:
    """A 28x28 image as raw JSON whose first pixel is ``token`` (Python's json would refuse)."""
    row = b"[" + b", ".join([b"0.0"] * 28) + b"]"
    first = b"[" + token + b", " + b", ".join([b"0.0"] * 27) + b"]"
    return b'{"image": [' + b", ".join([first] + [row] * 27) + b"]}"


def _chunks(total: int) -> Iterator[bytes]:
    """A streamed body with no content-length."""
    for _ in range(total // 2**20):
        yield b"[" * 2**20


class Bad(NamedTuple):
    name: str
    method: str
    path: str
    send: dict[str, Any]  # TestClient.request keyword arguments
    status: int
    words: str  # in the body's error or detail


def _files(**parts: Any) -> dict[str, Any]:
    return {"files": parts}


CASES = [
    # JSON bodies: which field, and why
    Bad("27 rows", "POST", "/predict", {"json": {"image": GOOD[:27]}}, 400,
        "image: List should have at least 28 items"),
    Bad("29 columns", "POST", "/predict", {"json": {"image": [[0.0] * 29, *GOOD[1:]]}}, 400,
        "image[0]: List should have at most 28 items"),
    Bad("0-255 pixels", "POST", "/predict", {"json": {"image": [[255.0] * 28] * 28}}, 400,
        "image[0][0]: Input should be less than or equal to 1"),
    Bad("negative pixel", "POST", "/predict",
        {"json": {"image": [[-0.1] + [0.0] * 27, *GOOD[1:]]}}, 400,
        "image[0][0]: Input should be greater than or equal to 0"),
    Bad("strings for pixels", "POST", "/predict", {"json": {"image": [["0.5"] * 28] * 28}}, 400,
        "Input should be a valid number"),
    Bad("not an array", "POST", "/predict", {"json": {"image": "a picture"}}, 400,
        "image: Input should be a valid array"),
    Bad("no image", "POST", "/predict", {"json": {}}, 400, "image: Field required"),
    Bad("a list, not an object", "POST", "/predict", {"json": [GOOD]}, 400, "body: "),
    Bad("threshold over 1", "POST", "/predict",
        {"json": {"image": GOOD, "confidence_threshold": 2}}, 400,
        "confidence_threshold: Input should be less than or equal to 1"),
    Bad("threshold an object", "POST", "/predict",
        {"json": {"image": GOOD, "confidence_threshold": {}}}, 400,
        "confidence_threshold: Input should be a valid number"),
    Bad("NaN pixel", "POST", "/predict", {"content": _image_with(b"NaN"), "headers": JSON}, 400,
        "Input should be a finite number"),
    Bad("Infinity pixel", "POST", "/predict",
        {"content": _image_with(b"Infinity"), "headers": JSON}, 400, "finite number"),
    Bad("pixel overflowing a float", "POST", "/predict",
        {"content": _image_with(b"1e400"), "headers": JSON}, 400, "image[0][0]"),
    Bad("pixel overflowing 64 bits", "POST", "/predict",
        {"content": _image_with(b"1" + b"0" * 30), "headers": JSON}, 400, "image[0][0]"),
    Bad("not JSON", "POST", "/predict", {"content": b"this is not json", "headers": JSON}, 400,
        "body: Invalid JSON"),
    Bad("empty batch", "POST", "/predict/batch", {"json": {"images": []}}, 400,
        "images: List should have at least 1 item"),
    Bad("batch over 256", "POST", "/predict/batch", {"json": {"images": [GOOD] * 257}}, 400,
        "images: List should have at most 256 items"),
    Bad("one bad image in a batch", "POST", "/predict/batch",
        {"json": {"images": [GOOD, GOOD[:3]]}}, 400, "images[1]: List should have at least 28"),
    # content types nobody declared
    Bad("text/plain", "POST", "/predict",
        {"content": b"{}", "headers": {"content-type": "text/plain"}}, 415,
        "/predict takes application/json, not text/plain"),
    Bad("BentoML pickle", "POST", "/predict",
        {"content": b"\x80\x04N.", "headers": {"content-type": "application/vnd.bentoml+pickle"}},
        415, "not application/vnd.bentoml+pickle"),
    Bad("no content type", "POST", "/predict/batch", {"content": b"{}"}, 415,
        "not a body without a content type"),
    Bad("multipart to a JSON route", "POST", "/predict", _files(image=("a.png", DIGIT_PNG)), 415,
        "/predict takes application/json, not multipart/form-data"),
    Bad("JSON to the upload route", "POST", "/predict/image", {"json": {"image": GOOD}}, 415,
        "/predict/image takes multipart/form-data"),
    # uploads: only a file part holding a PNG or JPEG
    Bad("multipart without boundary", "POST", "/predict/image",
        {"content": b"x", "headers": {"content-type": "multipart/form-data"}}, 400,
        "must carry boundary"),
    Bad("a URL as text", "POST", "/predict/image", _files(image=(None, "http://example.com/a.png")),
        400, "image: must be an uploaded file part"),
    Bad("a path as text", "POST", "/predict/image", _files(image=(None, "/etc/passwd")), 400,
        "image: must be an uploaded file part"),
    Bad("no image part", "POST", "/predict/image", _files(confidence_threshold=(None, "0.5")),
        400, "image: required"),
    Bad("an undeclared part", "POST", "/predict/image",
        _files(image=("a.png", DIGIT_PNG, "image/png"), extra=(None, "1")), 400,
        "unknown part extra"),
    Bad("threshold as a file", "POST", "/predict/image",
        _files(image=("a.png", DIGIT_PNG, "image/png"), confidence_threshold=("t", b"0.5")), 400,
        "confidence_threshold: must be a text part"),
    Bad("not an image", "POST", "/predict/image", _files(image=("a.png", b"GIF89a", "image/png")),
        400, "image: not a PNG or JPEG image"),
    Bad("truncated PNG", "POST", "/predict/image",
        _files(image=("a.png", DIGIT_PNG[:40], "image/png")), 400,
        "image: not a PNG or JPEG image"),
    Bad("20,000 x 20,000 header", "POST", "/predict/image",
        _files(image=("a.png", header_bomb(), "image/png")), 400, "image: not a PNG or JPEG image"),
    Bad("2,100 x 2,100 image", "POST", "/predict/image",
        _files(image=("a.png", png(np.zeros((2100, 2100), np.uint8)), "image/png")), 400,
        "over the 1,000,000-pixel limit"),
    Bad("file declared as octet-stream", "POST", "/predict/image",
        _files(image=("a.png", DIGIT_PNG, "application/octet-stream")), 400,
        "Invalid content type application/octet-stream"),
    # compact batches: the same rules
    Bad("raw bytes, not whole images", "POST", "/predict/batch",
        {"content": b"x" * 1000, "headers": OCTET}, 400,
        "images: 1000 bytes is not a whole number of 28x28 images"),
    Bad("raw bytes, no image", "POST", "/predict/batch", {"content": b"", "headers": OCTET}, 400,
        "images: at least 1 image"),
    Bad("raw bytes, 257 images", "POST", "/predict/batch",
        {"content": b"\0" * 784 * 257, "headers": OCTET}, 400, "images: 257 images, at most 256"),
    Bad(".npy of floats over 1", "POST", "/predict/batch",
        {"content": npy(np.full((2, 28, 28), 2.0)), "headers": NPY}, 400,
        "images[0][0][0]: values must be in [0, 1]"),
    Bad(".npy with NaN", "POST", "/predict/batch",
        {"content": npy(np.full((1, 784), np.nan)), "headers": NPY}, 400,
        "images[0][0][0]: Input should be a finite number"),
    Bad(".npy of the wrong shape", "POST", "/predict/batch",
        {"content": npy(np.zeros((3, 32, 32), np.uint8)), "headers": NPY}, 400,
        "images: shape (3, 32, 32), expected [N, 28, 28] or [N, 784]"),
    Bad("not an .npy", "POST", "/predict/batch", {"content": b"\x93NUMPYnope", "headers": NPY},
        400, "images: not an .npy array"),
    Bad("a PNG batch with text", "POST", "/predict/batch", _files(images=(None, "a.png")), 400,
        "images: each part must be an uploaded file"),
    Bad("a PNG batch, one broken", "POST", "/predict/batch",
        _files(images=("7.png", DIGIT_PNG[:40], "image/png")), 400,
        "images[0] (7.png): not a PNG or JPEG image"),
    # 256 images of 251 x 251, each under the per-image cap: together over the request's.
    Bad("a PNG batch over the pixels of one request", "POST", "/predict/batch",
        {"files": [("images", ("d.png", png(np.zeros((251, 251), np.uint8)), "image/png"))] * 256},
        400, "256 images declare 16,128,256 pixels together, over the 16,000,000-pixel limit"),
    Bad("a PNG batch with one image over the cap", "POST", "/predict/batch",
        _files(images=("big.png", png(np.zeros((1001, 1000), np.uint8)), "image/png")), 400,
        "images[0] (big.png): image is 1000x1001 pixels, over the 1,000,000-pixel limit"),
    Bad("threshold in the query of raw bytes", "POST", "/predict/batch?confidence_threshold=2",
        {"content": b"\0" * 784, "headers": OCTET}, 400,
        "confidence_threshold: Input should be a number in [0, 1]"),
    Bad("threshold in the query of JSON", "POST", "/predict/batch?confidence_threshold=0.3",
        {"json": {"images": [GOOD]}}, 400, "a JSON body carries it as a field"),
    # methods, paths, sizes
    Bad("GET a prediction route", "GET", "/predict", {}, 405, "Method Not Allowed"),
    Bad("TRACE", "TRACE", "/predict/batch", {}, 405, "Method Not Allowed"),
    Bad("POST to model info", "POST", "/model/info", {}, 405, "Method Not Allowed"),
    Bad("an unknown path", "POST", "/predict/everything", {"json": {}}, 404, "Not Found"),
    Bad("declared body over 8 MiB", "POST", "/predict",
        {"content": b"[" * (9 * 2**20), "headers": JSON}, 413, "over the limit of 8388608 bytes"),
    Bad("streamed body over 8 MiB", "POST", "/predict/batch",
        {"content": _chunks(9 * 2**20), "headers": JSON}, 413, "over the limit of 8388608 bytes"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_request_gets_its_status_and_reason(client: TestClient, case: Bad) -> None:
    send = dict(case.send)
    if case.name == "streamed body over 8 MiB":
        send["content"] = _chunks(9 * 2**20)  # a generator is used up by one request
    response = client.request(case.method, case.path, **send)
    assert response.status_code == case.status, response.text
    body = response.json()
    assert set(body) <= {"error", "detail"} and isinstance(body["error"], str)
    assert isinstance(body.get("detail", ""), str)
    assert case.words in f"{body['error']} {body.get('detail', '')}", body
    if case.status == 405:
        allowed = "POST" if case.path in SERVICE_POST_ROUTES else "GET, HEAD"
        assert set(response.headers["allow"].split(", ")) == set(allowed.split(", "))
    assert client.post("/predict", json={"image": GOOD}).status_code == 200


def test_the_gateway_knows_the_service_post_routes(service_class) -> None:
    routes = {api.route for api in service_class.apis.values()}
    assert routes == set(SERVICE_POST_ROUTES)
