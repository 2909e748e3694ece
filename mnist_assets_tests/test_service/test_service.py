"""The service class called directly and its ASGI app in process (no server)."""

import asyncio

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets_tests.conftest import scaled_test_images


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

    from mnist_assets.ml.training.model import to_pixels
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
