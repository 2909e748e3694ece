import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mnist_assets.serving.images import ImageDecodeError, image_to_pixels
from mnist_assets.serving.middleware import BearerToken
from mnist_assets.serving.model_store import load_model, save_champion
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.test_service.uploads import header_bomb, png


def _app() -> Starlette:
    async def ok(request):
        return PlainTextResponse("ok")

    routes = [
        Route(path, ok, methods=["GET", "POST"]) for path in ("/predict", "/metrics", "/health")
    ]
    return Starlette(routes=routes)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/predict", {}, 401),  # no token
        ("/predict", {"authorization": "Bearer wrong"}, 401),
        ("/predict", {"authorization": "Bearer s3cret"}, 200),
        ("/metrics", {}, 200),  # monitoring stays open
        ("/health", {}, 200),
    ],
)
def test_bearer_token_guards_predictions_only(path: str, headers: dict, status: int) -> None:
    client = TestClient(BearerToken(_app(), token="s3cret"))
    response = client.post(path, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"] == "missing or wrong bearer token"
        assert response.headers["www-authenticate"] == "Bearer"


def test_drawings_are_inverted_centred_and_scaled(bundled) -> None:
    digit = bundled.images[0]
    canvas = np.full((200, 300), 255, dtype=np.uint8)  # white paper, digit off-centre
    canvas[10:122, 20:132] = 255 - np.asarray(Image.fromarray(digit).resize((112, 112)))
    pixels = image_to_pixels(png(canvas))
    assert pixels.shape == (28, 28) and pixels.dtype == np.float32
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0
    assert pixels[:3].sum() == 0 and pixels[:, :3].sum() == 0  # a dark margin, like MNIST
    rows, cols = np.nonzero(pixels > 0.1)
    assert abs(rows.mean() - 13.5) < 3 and abs(cols.mean() - 13.5) < 3


def test_blank_and_broken_uploads() -> None:
    assert image_to_pixels(png(np.full((40, 40), 255, dtype=np.uint8))).sum() == 0
    with pytest.raises(ImageDecodeError, match="not a PNG or JPEG image"):
        image_to_pixels(b"GIF89a but not really")
    with pytest.raises(ImageDecodeError, match="not a PNG or JPEG image"):
        image_to_pixels(png(np.zeros((28, 28), dtype=np.uint8))[:40])  # truncated


def test_huge_images_are_refused_from_their_header() -> None:
    big = png(np.zeros((1001, 1000), dtype=np.uint8))  # one row over a million pixels
    with pytest.raises(ImageDecodeError, match="1000x1001 pixels, over the 1,000,000-pixel"):
        image_to_pixels(big)
    assert image_to_pixels(png(np.zeros((1000, 1000), dtype=np.uint8))).shape == (28, 28)
    # A tiny file whose header declares 20,000 x 20,000 pixels: refused, never decoded.
    with pytest.raises(ImageDecodeError, match="not a PNG or JPEG image this service reads"):
        image_to_pixels(header_bomb())


def test_saving_the_same_champion_twice_reuses_its_tag(tmp_path: Path, stored_model: str) -> None:
    import bentoml

    model = bentoml.models.get(stored_model)
    labels = dict(model.info.labels)
    again = save_champion(
        Path(model.path) / "model.pt", Path(model.path) / "drift_reference.json", labels, {}
    )
    assert again == stored_model
    other = save_champion(
        Path(model.path) / "model.pt",
        Path(model.path) / "drift_reference.json",
        {**labels, "model_version": "8"},
        {},
    )
    assert other != stored_model
    assert load_model(bentoml.models.get(other).path).config == load_model(model.path).config


def _imported_by(module: Path) -> set[str]:
    """The project's modules ``module`` imports, transitively, as paths from the checkout."""
    found: set[str] = set()
    todo = [module]
    while todo:
        for node in ast.walk(ast.parse(todo.pop().read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in (n for n in names if n.startswith("mnist_assets")):
                parts = name.split(".")
                for candidate in ("/".join(parts) + ".py", "/".join(parts) + "/__init__.py"):
                    if (REPO_ROOT / candidate).is_file() and candidate not in found:
                        found.add(candidate)
                        todo.append(REPO_ROOT / candidate)
                # A package's own __init__ runs on the way to its modules.
                for depth in range(1, len(parts)):
                    init = "/".join(parts[:depth]) + "/__init__.py"
                    if (REPO_ROOT / init).is_file() and init not in found:
                        found.add(init)
                        todo.append(REPO_ROOT / init)
    return found


def test_bento_context_packs_only_what_the_service_runs(tmp_path: Path) -> None:
    from mnist_assets.deploy.bentos import lay_out_context, source_fingerprint

    lay_out_context(tmp_path / "a")
    packed = {p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.py")}
    # Exactly the modules the service imports, directly or through each other.
    assert packed == {"bentos/service.py", *_imported_by(REPO_ROOT / "bentos" / "service.py")}
    assert "mnist_assets/ml/training/fit.py" not in packed  # training never ships
    first = source_fingerprint(tmp_path / "a")
    lay_out_context(tmp_path / "b")
    assert source_fingerprint(tmp_path / "b") == first  # the same code, the same bento
    (tmp_path / "b" / "mnist_assets" / "ml" / "model.py").write_text("# edited\n")
    assert source_fingerprint(tmp_path / "b") != first


def test_a_worker_serving_an_onnx_variant_never_imports_pytorch(stored_int8_model: str) -> None:
    # PyTorch alone costs a worker about 470 MiB of memory.
    script = (
        "import sys; import bentos.service as s; instance = s.MnistService(); "
        "print(instance.predictor.runtime, 'torch' in sys.modules)"
    )
    env = {**os.environ, "MNIST_BENTO_MODEL": stored_int8_model}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["onnxruntime-int8", "False"]
