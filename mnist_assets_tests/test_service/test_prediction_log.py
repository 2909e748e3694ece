"""The predictions each worker keeps, read back from every worker, and named by their ids."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.prediction_log import (
    PredictionRing,
    open_record,
    read_recent,
    server_folder,
)


def _images(first: int, count: int) -> np.ndarray:
    """``count`` images whose pixels all equal their number / 255 (first, first + 1, ...)."""
    values = np.arange(first, first + count, dtype=np.float32) / 255.0
    return np.broadcast_to(values[:, None, None], (count, 28, 28))


def _add(ring: PredictionRing, first: int, count: int) -> list[str]:
    digits = np.arange(first, first + count) % 10
    return ring.add(_images(first, count), digits, np.full(count, 0.5))


def _firsts(folder: Path, per_worker: int = 100) -> list[int]:
    return [int(image[0, 0]) for image in read_recent(folder, per_worker).images]


def test_a_ring_keeps_the_newest_predictions_oldest_first(tmp_path: Path) -> None:
    ring = PredictionRing(tmp_path, worker=0, capacity=4)
    _add(ring, 1, 3)
    assert _firsts(tmp_path) == [1, 2, 3]
    _add(ring, 4, 3)  # wraps: 1 and 2 are gone
    assert _firsts(tmp_path) == [3, 4, 5, 6]
    assert _firsts(tmp_path, per_worker=2) == [5, 6]
    _add(ring, 10, 9)  # more than the ring at once: the last four
    recent = read_recent(tmp_path, 100)
    assert [int(i[0, 0]) for i in recent.images] == [15, 16, 17, 18]
    assert recent.digits.tolist() == [5, 6, 7, 8] and recent.workers == 1


def test_every_worker_ring_is_read_and_pixels_come_back_as_bytes(tmp_path: Path) -> None:
    _add(PredictionRing(tmp_path, worker=0, capacity=8), 7, 2)
    ring = PredictionRing(tmp_path, worker=1, capacity=8)
    ring.add(np.full((1, 28, 28), 0.5, np.float32), np.array([3]), np.array([0.9]))
    PredictionRing(tmp_path, worker=2, capacity=8)  # started, nothing served yet
    recent = read_recent(tmp_path, 100)
    assert recent.images.dtype == np.uint8 and recent.images.shape == (3, 28, 28)
    assert _firsts(tmp_path) == [7, 8, 128] and recent.workers == 2
    assert recent.confidences.tolist() == pytest.approx([0.5, 0.5, 0.9])
    assert read_recent(tmp_path / "none", 100).workers == 0


def test_an_id_names_its_prediction_until_it_expires_or_is_overwritten(tmp_path: Path) -> None:
    ring = PredictionRing(tmp_path, worker=3, capacity=4)
    first, *_ = _add(ring, 1, 3)
    record = open_record(tmp_path, first, window_seconds=60)
    assert record is not None and int(record["digit"][0]) == 1
    assert open_record(tmp_path, first, window_seconds=0) is None  # older than the window
    _add(ring, 4, 4)  # the ring wrapped past it
    assert open_record(tmp_path, first, window_seconds=60) is None
    # A restarted worker draws a new nonce: its predecessor's ids answer for nothing.
    (again,) = _add(PredictionRing(tmp_path, worker=3, capacity=4), 1, 1)
    assert again.split("-")[1:] == ["3", "0"] and again != first.replace("-0", "-0")
    assert open_record(tmp_path, again.replace(again.split("-")[0], "1"), 60) is None
    for malformed in ("", "abc", "1-2", "zz-0-0", "1-0-x", "-".join([again, "1"])):
        assert open_record(tmp_path, malformed, 60) is None, malformed


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
    answer = client.post("/predict/batch", json={"images": digits.tolist()})
    assert answer.status_code == 200
    predicted = [p["digit"] for p in answer.json()["predictions"]]
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
    assert response.json()["digits"][-3:] == predicted
