"""Batches as raw bytes, .npy arrays and PNG files: the same predictions as JSON, the same rules."""

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.compact_inputs import CompactInputError, from_bytes, from_npy
from mnist_assets_tests.test_service.uploads import NPY, OCTET, npy, png


@pytest.fixture(scope="module")
def digits(splits: MnistSplits) -> np.ndarray:
    return splits.test.images[:64]


@pytest.fixture(scope="module")
def from_json(client: TestClient, digits: np.ndarray) -> list[dict]:
    images = (digits.astype(np.float32) / 255.0).tolist()
    response = client.post("/predict/batch", json={"images": images})
    assert response.status_code == 200
    return response.json()["predictions"]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (lambda d: d.tobytes(), OCTET),  # N x 784 bytes
        (lambda d: npy(d), NPY),  # uint8 [N, 28, 28]
        (lambda d: npy(d.reshape(-1, 784).astype(np.float32) / 255.0), NPY),  # floats [N, 784]
        (lambda d: npy(d), OCTET),  # an .npy file sent as octet-stream
    ],
    ids=["raw-bytes", "npy-uint8", "npy-float-flat", "npy-as-octet-stream"],
)
def test_compact_bodies_predict_what_json_predicts(
    client: TestClient, digits: np.ndarray, from_json: list[dict], body, headers: dict
) -> None:
    response = client.post("/predict/batch", content=body(digits), headers=headers)
    assert response.status_code == 200, response.text
    compact = response.json()["predictions"]
    assert [p["digit"] for p in compact] == [p["digit"] for p in from_json]
    assert np.allclose(
        [p["probabilities"] for p in compact], [p["probabilities"] for p in from_json], atol=1e-6
    )


def test_png_files_and_the_threshold_in_the_query(client: TestClient, digits: np.ndarray) -> None:
    files = [
        ("images", (f"{i}.png", png(digit), "image/png")) for i, digit in enumerate(digits[:5])
    ]
    response = client.post("/predict/batch?confidence_threshold=1", files=files)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == 5 and all(p["below_threshold"] for p in predictions)


def test_the_npy_header_is_checked_before_its_data() -> None:
    huge = bytearray(npy(np.zeros((1, 28, 28), np.uint8)))
    header_end = huge.index(b"\n") + 1
    declared = huge[:header_end].replace(b"(1, 28, 28)", b"(9999999, 28, 28)")
    with pytest.raises(CompactInputError, match="9999999 images, at most 256"):
        from_npy(bytes(declared) + bytes(huge[header_end:]))
    with pytest.raises(CompactInputError, match="not pixels"):
        from_npy(npy(np.array([[object()] * 784], dtype=object)))
    assert from_bytes(bytes(range(256)) * 49).shape == (16, 28, 28)
