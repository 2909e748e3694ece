"""The labelling page over an episode on disk: labels saved as set, one batch sent atomically."""

from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.ingestion.batches import BatchLimits, read_batch
from mnist_assets.review.app import review_app
from mnist_assets.review.episode import Episode, EpisodeRecord, LabelError
from mnist_assets.review.progress import BatchFolders
from mnist_assets.review.sample import ServiceInputs, save_sample


def _episode(root: Path, images: np.ndarray, feedback: np.ndarray) -> Episode:
    """An episode as the drift sensor saves it: the last two images labelled through feedback."""
    inputs = ServiceInputs(
        images=images,
        digits=np.arange(len(images)) % 10,
        confidences=np.full(len(images), 0.8),
        workers=1,
        labelled_images=images[-2:],
        labels=feedback,
        labelled_digits=np.zeros(2, dtype=int),
    )
    save_sample(inputs, root / "drift-1", limit=100, record=EpisodeRecord(1e9, 0.7, 0.25, "w"))
    return Episode(root / "drift-1")


@pytest.fixture
def images() -> np.ndarray:
    """Six distinct inputs and a repeat of the first."""
    distinct = np.stack([np.full((28, 28), 10 * (n + 1), np.uint8) for n in range(6)])
    return np.concatenate([distinct, distinct[:1]])


def test_an_episode_lists_feedback_first_and_sends_only_digit_labels(
    tmp_path: Path, images: np.ndarray
) -> None:
    episode = _episode(tmp_path, images, np.array([4, 5]))
    record = episode.record()
    # The two feedback inputs (the sixth and the first again), then the traffic left once
    # they are taken out: the second to the fifth, with the model's guesses.
    assert [i.feedback for i in record.inputs] == [4, 5, None, None, None, None]
    assert [i.guess for i in record.inputs[2:]] == [1, 2, 3, 4]
    with pytest.raises(LabelError, match="label at least one input with a digit first"):
        episode.send(tmp_path / "incoming")
    episode.set_label("0000.png", 4)
    episode.set_label("0002.png", 7)
    episode.set_label("0003.png", "x")  # not a digit: left out
    for bad, match in ((("0002.png", 10), "is no label"), (("9999.png", 1), "has no input")):
        with pytest.raises(LabelError, match=match):
            episode.set_label(*bad)
    sent = episode.send(tmp_path / "incoming")
    batch = read_batch(tmp_path / "incoming" / sent.batch, BatchLimits())
    assert batch.labels.tolist() == [4, 7] and sent.count == 2
    assert batch.content_hash() == sent.digest  # the hash the new-data run is tagged with
    assert [p.name for p in (tmp_path / "incoming").iterdir()] == [sent.batch]  # no hidden file
    assert episode.send(tmp_path / "incoming") == sent  # sending twice sends one batch
    with pytest.raises(LabelError, match="sent for training already"):
        episode.set_label("0004.png", 1)


def test_the_page_labels_sends_and_follows_the_batch(tmp_path: Path, images: np.ndarray) -> None:
    root, data = tmp_path / "review", tmp_path / "data"
    _episode(root, images, np.array([4, 5]))
    folders = BatchFolders(data / "incoming", data / "quarantine", data / "batches")
    client = TestClient(review_app(root, folders, token=None))
    listing = client.get("/").text
    assert "drift-1" in listing and "0.700" in listing
    page = client.get("/episodes/drift-1").text
    assert page.count('class="cell') == 6 and "feedback said 4" in page and "guess 1 · 80%" in page
    assert client.get("/episodes/drift-1/inputs/0000.png").headers["content-type"] == "image/png"
    assert client.get("/episodes/drift-1/inputs/..%2Fepisode.json").status_code == 404
    assert client.get("/episodes/nope").status_code == 404
    labelled = client.put("/episodes/drift-1/labels/0001.png", json={"label": 5})
    assert labelled.json() == {"labelled": 1}
    refused = client.put("/episodes/drift-1/labels/0001.png", json={"label": "seven"})
    assert refused.status_code == 400 and "is no label" in refused.json()["error"]
    assert client.get("/episodes/drift-1/progress").json()["state"] == "unsent"
    sent = client.post("/episodes/drift-1/send", follow_redirects=False)
    assert sent.status_code == 303
    assert "Sent 1 labelled inputs" in client.get("/episodes/drift-1").text
    progress = client.get("/episodes/drift-1/progress").json()
    assert progress["state"] == "waiting" and progress["run_id"] is None


def test_with_a_token_the_page_opens_only_with_it(tmp_path: Path, images: np.ndarray) -> None:
    root = tmp_path / "review"
    _episode(root, images, np.array([4, 5]))
    folders = BatchFolders(tmp_path / "in", tmp_path / "q", tmp_path / "b")
    client = TestClient(review_app(root, folders, token="s3cret"))
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/health").status_code == 200
    opened = client.get("/?token=s3cret")  # sets the cookie and drops the token from the URL
    assert opened.status_code == 200 and str(opened.url).endswith("/")
    assert client.put("/episodes/drift-1/labels/0000.png", json={"label": 4}).status_code == 200
    bearer = TestClient(review_app(root, folders, token="s3cret"))
    assert bearer.get("/", headers={"authorization": "Bearer s3cret"}).status_code == 200
