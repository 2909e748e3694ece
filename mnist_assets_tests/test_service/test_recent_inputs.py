"""The recent inputs each worker keeps for labelling, read back from every worker at once."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.recent_inputs import InputRing, read_rings, server_folder


def _images(first: int, count: int) -> np.ndarray:
    """``count`` images whose pixels all equal their number / 255 (first, first + 1, ...)."""
    values = np.arange(first, first + count, dtype=np.float32) / 255.0
    return np.broadcast_to(values[:, None, None], (count, 28, 28))


def test_a_ring_keeps_the_newest_inputs_oldest_first(tmp_path: Path) -> None:
    ring = InputRing(tmp_path, worker=0, capacity=4)
    ring.add(_images(1, 3))
    assert [int(i[0, 0]) for i in read_rings(tmp_path)[0]] == [1, 2, 3]
    ring.add(_images(4, 3))  # wraps: 1 and 2 are gone
    images, workers = read_rings(tmp_path)
    assert [int(i[0, 0]) for i in images] == [3, 4, 5, 6] and workers == 1
    ring.add(_images(10, 9))  # more than the ring at once: the last four
    assert [int(i[0, 0]) for i in read_rings(tmp_path)[0]] == [15, 16, 17, 18]


def test_every_worker_ring_is_read_and_pixels_come_back_as_bytes(tmp_path: Path) -> None:
    InputRing(tmp_path, worker=0, capacity=8).add(_images(7, 2))
    InputRing(tmp_path, worker=1, capacity=8).add(np.full((1, 28, 28), 0.5, np.float32))
    InputRing(tmp_path, worker=2, capacity=8)  # started, nothing served yet
    images, workers = read_rings(tmp_path)
    assert images.dtype == np.uint8 and images.shape == (3, 28, 28)
    assert [int(i[0, 0]) for i in images] == [7, 8, 128] and workers == 2
    assert read_rings(tmp_path / "none")[1] == 0


def test_folders_of_stopped_servers_are_removed(tmp_path: Path) -> None:
    server = subprocess.Popen(["true"])
    server.wait()
    stopped = tmp_path / str(server.pid)
    stopped.mkdir()
    mine = server_folder(tmp_path)
    assert not stopped.exists()
    assert mine.parent == tmp_path and mine.name.isdigit()


def test_the_service_returns_what_its_workers_kept_only_with_the_token(
    client: TestClient, splits: MnistSplits, monkeypatch: pytest.MonkeyPatch
) -> None:
    digits = splits.test.images[:3].astype(np.float32) / 255.0
    assert client.post("/predict/batch", json={"images": digits.tolist()}).status_code == 200
    # No token set at all: users' inputs are not served, even though predictions are open.
    refused = client.get("/inputs/recent")
    assert refused.status_code == 401
    assert "no token is set for this service" in refused.json()["detail"]
    monkeypatch.setenv("MNIST_REVIEW_TOKEN", "s3cret")
    assert (
        client.get("/inputs/recent", headers={"authorization": "Bearer wrong"}).status_code == 401
    )
    response = client.get("/inputs/recent", headers={"authorization": "Bearer s3cret"})
    assert response.status_code == 200
    kept = np.asarray(response.json()["images"], dtype=np.uint8)
    assert np.array_equal(kept[-3:], splits.test.images[:3])
