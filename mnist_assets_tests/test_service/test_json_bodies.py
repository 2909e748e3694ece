"""Well-formed JSON decoded straight into numpy: the same answers as BentoML's own method, and
anything unusual validated by the route's pydantic model, in its words."""

import json

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.errors import InvalidBody
from mnist_assets.serving.json_bodies import json_pixels, well_formed

GOOD = [[0.0] * 28] * 28
JSON = {"content-type": "application/json"}


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


def test_the_fast_path_answers_as_bentomls_methods_do(
    client: TestClient, service_class, splits: MnistSplits
) -> None:
    images = (splits.test.images[:8] / 255.0).astype("float32")
    instance = service_class()
    answers = {
        "/predict": (
            {"image": images[0].tolist(), "confidence_threshold": 0.9},
            instance.classify(images[:1], 0.9)[0].model_dump(),
        ),
        "/predict/batch": (
            {"images": images.tolist()},
            {"predictions": [p.model_dump() for p in instance.classify(images, 0.5)]},
        ),
    }
    for route, (body, expected) in answers.items():
        fast = client.post(route, content=json.dumps(body).encode(), headers=JSON)
        assert fast.status_code == 200 and _without_ids(fast.json()) == _without_ids(expected)


def _without_ids(answer: dict) -> dict:
    """An answer without its prediction ids, which name each prediction apart."""
    if "predictions" in answer:
        return {"predictions": [_without_ids(p) for p in answer["predictions"]]}
    assert answer.pop("id")
    return answer


def test_an_unusual_body_pydantic_accepts_is_still_answered(service_class) -> None:
    # An extra field the quick check leaves to pydantic, which ignores it as BentoML's route did.
    model = service_class.apis["predict"].input_spec
    body = _body(image=[[1] * 28] * 28, note="true")
    pixels, threshold = json_pixels(body, model, "image", False)
    assert pixels.shape == (1, 28, 28) and pixels.max() == 1.0 and threshold == 0.5


def test_a_refusal_names_each_field_in_pydantics_words(service_class) -> None:
    model = service_class.apis["predict_batch"].input_spec
    with pytest.raises(InvalidBody) as refused:
        json_pixels(_body(images=[GOOD, GOOD[:3]], confidence_threshold=2), model, "images", True)
    assert refused.value.error == "2 invalid fields"
    assert "images[1]: List should have at least 28 items" in refused.value.detail
    assert "confidence_threshold: Input should be less than or equal to 1" in refused.value.detail
