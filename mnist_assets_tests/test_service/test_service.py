"""The service class called directly and its ASGI app in process (no server)."""

import asyncio
import importlib
import os
from collections.abc import Iterator

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.splits import MnistSplits
from mnist_assets_tests.conftest import scaled_test_images


@pytest.fixture(scope="module")
def service_class(stored_model: str):
    # The service reads its model tag at import; pin it to this session's model, re-importing
    # in case a bento build earlier in the session imported it with another.
    os.environ["MNIST_BENTO_MODEL"] = stored_model
    import bentos.service

    return importlib.reload(bentos.service).MnistService


@pytest.fixture(scope="module")
def client(service_class) -> Iterator[TestClient]:
    with TestClient(service_class.to_asgi(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_methods_called_directly(service_class, splits: MnistSplits, stored_model: str) -> None:
    service = service_class()
    images, labels = scaled_test_images(splits, 50)
    single = asyncio.run(service.predict(image=images[0].tolist(), confidence_threshold=0.5))
    assert 0 <= single.digit <= 9 and len(single.probabilities) == 10
    assert single.confidence == pytest.approx(max(single.probabilities))
    assert sum(single.probabilities) == pytest.approx(1.0, abs=1e-5)
    batch = asyncio.run(service.predict_batch(images=images.tolist(), confidence_threshold=1.0))
    assert all(p.below_threshold for p in batch.predictions)
    digits = np.array([p.digit for p in batch.predictions])
    assert (digits == labels).mean() > 0.8
    assert service.info.bento_model == stored_model
    assert service.info.model_version == "7"


def test_served_accuracy_matches_the_model(
    client: TestClient, splits: MnistSplits, stored_model: str
) -> None:
    import bentoml
    import torch

    from mnist_assets.ml.model import to_pixels
    from mnist_assets.serving.model_store import load_model

    images, labels = scaled_test_images(splits, len(splits.test))
    served = []
    for start in range(0, len(images), 256):
        response = client.post(
            "/predict/batch", json={"images": images[start : start + 256].tolist()}
        )
        assert response.status_code == 200, response.text
        served += [p["digit"] for p in response.json()["predictions"]]
    model = load_model(bentoml.models.get(stored_model).path)
    with torch.no_grad():
        direct = model(to_pixels(torch.from_numpy(splits.test.images))).argmax(1).numpy()
    assert np.array_equal(np.array(served), direct)
    assert (np.array(served) == labels).mean() == pytest.approx((direct == labels).mean())


def test_get_endpoints(client: TestClient, stored_model: str) -> None:
    info = client.get("/model/info")
    assert info.status_code == 200
    assert info.json()["bento_model"] == stored_model and info.json()["mlflow_run_id"] == "run-7"
    assert client.get("/health").json() == {"status": "ok", "model_version": "7"}
    assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 200


GOOD = [[0.0] * 28] * 28


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        # 27 rows instead of 28
        ("/predict", {"image": GOOD[:27]}, "List should have at least 28 items"),
        # a row of 29 pixels
        ("/predict", {"image": [[0.0] * 29, *GOOD[1:]]}, "List should have at most 28 items"),
        # pixels as 0-255 bytes instead of [0, 1]
        ("/predict", {"image": [[255.0] * 28] * 28}, "less than or equal to 1"),
        # a negative pixel
        ("/predict", {"image": [[-0.1] + [0.0] * 27, *GOOD[1:]]}, "greater than or equal to 0"),
        # strings where numbers belong
        ("/predict", {"image": [["0.5"] * 28] * 28}, "Input should be a valid number"),
        # not an array at all
        ("/predict", {"image": "a picture"}, "Input should be a valid array"),
        # no image
        ("/predict", {}, "Field required"),
        # threshold out of range
        ("/predict", {"image": GOOD, "confidence_threshold": 2}, "less than or equal to 1"),
        # an empty batch
        ("/predict/batch", {"images": []}, "at least 1 item"),
        # a batch over the maximum
        ("/predict/batch", {"images": [GOOD] * 257}, "at most 256 items"),
    ],
    ids=[
        "rows",
        "cols",
        "range-high",
        "range-low",
        "strings",
        "not-array",
        "missing",
        "threshold",
        "empty-batch",
        "big-batch",
    ],
)
def test_bad_json_input_gets_400_saying_what(client, route, body, message) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 400, response.text
    assert message in response.text


def _image_with(token: bytes) -> bytes:
    """A 28x28 image as raw JSON whose first pixel is ``token`` (Python's json would refuse)."""
    row = b"[" + b", ".join([b"0.0"] * 28) + b"]"
    first = b"[" + token + b", " + b", ".join([b"0.0"] * 27) + b"]"
    return b'{"image": [' + b", ".join([first] + [row] * 27) + b"]}"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_image_with(b"NaN"), "Input should be a finite number"),
        (_image_with(b"Infinity"), "Input should be a finite number"),
        (b"this is not json", "Invalid JSON"),
    ],
    ids=["nan", "inf", "not-json"],
)
def test_non_json_and_nan_get_400(client: TestClient, payload: bytes, message: str) -> None:
    response = client.post(
        "/predict", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and message in response.text


def test_a_body_over_the_cap_gets_413_and_the_server_stays_up(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b"[" * (9 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"error": "request body over 8388608 bytes"}
    assert client.post("/predict", json={"image": GOOD}).status_code == 200


def test_image_upload(client: TestClient, splits: MnistSplits) -> None:
    import io

    from PIL import Image

    digit = splits.test.images[0]
    # A user's scan: a black digit on white paper, four times the size.
    scan = Image.fromarray(255 - digit).resize((112, 112))
    buffer = io.BytesIO()
    scan.save(buffer, format="PNG")
    files = {"image": ("digit.png", buffer.getvalue(), "image/png")}
    response = client.post("/predict/image", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["digit"] == int(splits.test.labels[0])

    bad = {"image": ("digit.png", b"not a png", "image/png")}
    response = client.post("/predict/image", files=bad)
    assert response.status_code == 400 and "not a PNG or JPEG image" in response.text
