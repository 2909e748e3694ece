"""Well-formed JSON decoded straight into numpy: the same answers as BentoML's route, and anything
unusual left to pydantic's field-by-field validation."""

import json

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.fast_json import well_formed

GOOD = [[0.0] * 28] * 28


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_well_formed_image_and_batch_become_arrays() -> None:
    pixels, threshold = well_formed(_body(image=GOOD, confidence_threshold=1), "image", False)
    assert pixels.shape == (1, 28, 28) and pixels.dtype == np.float32 and threshold == 1.0
    pixels, threshold = well_formed(_body(images=[GOOD] * 3), "images", True)
    assert pixels.shape == (3, 28, 28) and threshold == 0.5


@pytest.mark.parametrize(
    "body",
    [
        _body(image=[[True] + [0.0] * 27, *GOOD[1:]]),  # a bool pixel
        _body(image=[["0.5"] * 28] * 28),  # strings
        _body(image=[[0.0] * 29, *GOOD[1:]]),  # ragged
        _body(image=GOOD[:27]),  # 27 rows
        _body(image=[[2.0] * 28] * 28),  # out of range
        _body(image=[[-0.0001] + [0.0] * 27, *GOOD[1:]]),  # below 0
        _body(image=GOOD, confidence_threshold=True),  # a bool threshold
        _body(image=GOOD, confidence_threshold=1.5),
        _body(image=GOOD, extra=1),  # an undeclared field
        _body(picture=GOOD),  # no image
        _body(image=[[float("nan")] + [0.0] * 27, *GOOD[1:]]),  # json writes NaN
        _body(image=[[float("inf")] + [0.0] * 27, *GOOD[1:]]),  # json writes Infinity
        _body(image=GOOD).replace(b"0.0", b"1e400", 1),  # overflows a float
        _body(image=GOOD).replace(b"0.0", b"1" + b"0" * 30, 1),  # overflows 64 bits
        b"[1, 2]",
        b"not json",
    ],
    ids=["bool", "strings", "ragged", "rows", "high", "low", "threshold-bool", "threshold-high",
         "extra-field", "missing", "nan", "infinity", "float-overflow", "int-overflow",
         "not-an-object", "not-json"],
)  # fmt: skip
def test_anything_unusual_is_left_to_pydantic(body: bytes) -> None:
    assert well_formed(body, "image", False) is None


def test_batches_outside_1_to_256_are_left_to_pydantic() -> None:
    assert well_formed(_body(images=[]), "images", True) is None
    assert well_formed(_body(images=[GOOD] * 257), "images", True) is None


def test_fast_and_validated_paths_answer_alike(client: TestClient, splits: MnistSplits) -> None:
    images = (splits.test.images[:8] / 255.0).tolist()
    for route, body in (("/predict", {"image": images[0]}), ("/predict/batch", {"images": images})):
        payload = json.dumps(body).encode()
        fast = client.post(route, content=payload, headers={"content-type": "application/json"})
        # A charset parameter takes BentoML's own route and its pydantic validation.
        slow_headers = {"content-type": "application/json; charset=utf-8"}
        slow = client.post(route, content=payload, headers=slow_headers)
        assert fast.status_code == slow.status_code == 200
        assert fast.json() == slow.json()
