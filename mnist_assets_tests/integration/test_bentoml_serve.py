"""The service under a real `bentoml serve`, called over HTTP and with bentoml.SyncHTTPClient."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bentoml
import pytest

from mnist_assets.env import PROJECT_ROOT
from mnist_assets.ml.splits import MnistSplits
from mnist_assets_tests.conftest import scaled_test_images

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "integration-token"


@pytest.fixture(scope="module")
def server(stored_model: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MNIST_BENTO_MODEL": stored_model, "MNIST_API_TOKEN": TOKEN}
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    bentoml_cli = str(Path(sys.executable).parent / "bentoml")
    command = [bentoml_cli, "serve", "bentos.service:MnistService", "--host", "127.0.0.1"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(f"{url}/readyz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "bentoml serve not ready in 120 s"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_predictions_over_http_and_with_the_bentoml_client(
    server: str, splits: MnistSplits
) -> None:
    images, labels = scaled_test_images(splits, 100)
    status, body = _post(f"{server}/predict/batch", {"images": images.tolist()}, TOKEN)
    assert status == 200
    digits = [p["digit"] for p in body["predictions"]]
    assert sum(d == label for d, label in zip(digits, labels, strict=True)) > 80

    with bentoml.SyncHTTPClient(server, token=TOKEN) as client:
        result = client.predict(image=images[0].tolist(), confidence_threshold=0.5)
    assert result["digit"] == digits[0]


def test_token_guards_predictions_and_leaves_monitoring_open(server: str) -> None:
    image = [[0.0] * 28] * 28
    status, body = _post(f"{server}/predict", {"image": image})
    assert (status, body) == (401, {"error": "missing or wrong bearer token"})
    status, body = _post(f"{server}/predict", {"image": [[0.0] * 28] * 27}, TOKEN)
    assert status == 400 and "at least 28 items" in json.dumps(body)
    with urllib.request.urlopen(f"{server}/health", timeout=5) as response:
        assert json.loads(response.read())["model_version"] == "7"


def test_metrics_expose_the_mnist_series(server: str, splits: MnistSplits) -> None:
    images, _ = scaled_test_images(splits, 5)
    assert _post(f"{server}/predict/batch", {"images": images.tolist()}, TOKEN)[0] == 200
    with urllib.request.urlopen(f"{server}/metrics", timeout=5) as response:
        text = response.read().decode()
    for series in (
        "mnist_predictions_total{",
        "mnist_prediction_confidence_bucket{",
        "mnist_input_mean_intensity_bucket{",
        'mnist_model_info{tag="mnist-cnn:',
        "bentoml_service_request_duration_seconds_bucket{",
    ):
        assert series in text, series
