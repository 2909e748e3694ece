"""The built bento under a real `bentoml serve`, over HTTP and with bentoml.SyncHTTPClient."""

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
from prometheus_client.parser import text_string_to_metric_families

from mnist_assets.deploy.bentos import build_bento
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.model_store import save_champion
from mnist_assets_tests.conftest import scaled_test_images
from mnist_assets_tests.integration.api_schema import assert_schemathesis_finds_nothing

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "integration-token"


@pytest.fixture(scope="module")
def bento_tag(stored_int8_model: str) -> str:
    """The project's bentofile built around the test model's int8 variant; then a newer model
    is stored, so serving the right one proves the bento pins its model."""
    bento, _ = build_bento(stored_int8_model, {"t": "1"})
    model = bentoml.models.get(stored_int8_model)
    newer = {**model.info.labels, "model_version": "newer"}
    folder = Path(model.path)
    save_champion(folder / "model.pt", folder / "drift_reference.json", newer, {})
    return str(bento.tag)


@pytest.fixture(scope="module")
def server(bento_tag: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "MNIST_BENTO_MODEL"}
    env["MNIST_API_TOKEN"] = TOKEN
    workdir = tmp_path_factory.mktemp("serve")  # not the project: the bento carries its code
    log_path = workdir / "serve.log"
    bentoml_cli = str(Path(sys.executable).parent / "bentoml")
    command = [bentoml_cli, "serve", bento_tag, "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
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


def test_every_digit_is_counted_from_zero_before_the_first_prediction(server: str) -> None:
    # First in this module: no request has predicted anything yet. A series Prometheus first
    # scrapes with traffic in it loses that traffic from increase() (the live drift window).
    with urllib.request.urlopen(f"{server}/metrics", timeout=5) as response:
        families = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
    samples = families["mnist_predictions"].samples
    counted = {s.labels["digit"]: s.value for s in samples if s.name.endswith("_total")}
    assert counted == {str(digit): 0.0 for digit in range(10)}


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


def test_the_bento_serves_the_model_and_runtime_it_was_built_with(
    server: str, stored_int8_model: str
) -> None:
    request = urllib.request.Request(
        f"{server}/model/info", headers={"authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        info = json.loads(response.read())
    assert info["bento_model"] == stored_int8_model and info["model_version"] == "7"
    assert info["runtime"] == "onnxruntime-int8"


def test_token_guards_predictions_and_leaves_monitoring_open(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnist_assets.deploy.stack import served_model

    image = [[0.0] * 28] * 28
    status, body = _post(f"{server}/predict", {"image": image})
    assert (status, body["error"]) == (401, "missing or wrong bearer token")
    status, body = _post(f"{server}/predict", {"image": [[0.0] * 28] * 27}, TOKEN)
    assert status == 400 and "at least 28 items" in json.dumps(body)
    with urllib.request.urlopen(f"{server}/health", timeout=5) as response:
        assert json.loads(response.read())["model_version"] == "7"
    # The deploy's check of a new slot sends the token: a 401 never passes for its model.
    assert served_model(server) is None
    monkeypatch.setenv("MNIST_API_TOKEN", TOKEN)
    assert served_model(server)["model_version"] == "7"


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


def test_schemathesis_finds_nothing_in_the_served_bento(server: str) -> None:
    # Every check: no 5xx, each status and body as the document declares, undeclared content
    # types and methods refused, schema-valid requests accepted, invalid ones refused.
    assert_schemathesis_finds_nothing(server, TOKEN)
