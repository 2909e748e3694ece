"""Ground truth for earlier predictions: recorded once, from any worker, as live accuracy."""

from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.serving.feedback import AlreadyLabelled, FeedbackBook, UnknownPrediction
from mnist_assets.serving.prediction_log import PredictionRing


def _predict(ring: PredictionRing, digits: list[int]) -> list[str]:
    pixels = np.stack([np.full((28, 28), d / 10, np.float32) for d in digits])
    return ring.add(pixels, np.array(digits), np.full(len(digits), 0.9))


def test_labels_from_any_worker_make_one_live_accuracy(tmp_path: Path) -> None:
    first, second = (PredictionRing(tmp_path, worker, capacity=16) for worker in (0, 1))
    ids = _predict(first, [1, 2, 3]) + _predict(second, [4, 5])
    # Two workers' books over the same folder, as two processes of one server would hold.
    books = [FeedbackBook(tmp_path, window_seconds=60, accuracy_window=4) for _ in range(2)]
    outcomes = [
        books[n % 2].record(pid, label)
        for n, (pid, label) in enumerate(zip(ids, [1, 2, 9, 4, 5], strict=True))
    ]
    assert [o.correct for o in outcomes] == [True, True, False, True, True]
    # The last four labels: 2 right, 3 wrong, 4 and 5 right.
    assert outcomes[-1].accuracy == pytest.approx(0.75) and outcomes[-1].labelled == 4
    labelled = books[0].labelled()
    assert labelled.labels.tolist() == [2, 9, 4, 5] and labelled.digits.tolist() == [2, 3, 4, 5]
    assert labelled.images.dtype == np.uint8 and int(labelled.images[1, 0, 0]) == 76  # 0.3


def test_a_second_label_and_an_unknown_id_are_refused(tmp_path: Path) -> None:
    (prediction,) = _predict(PredictionRing(tmp_path, 0, capacity=4), [7])
    book = FeedbackBook(tmp_path, window_seconds=60, accuracy_window=10)
    book.record(prediction, 7)
    with pytest.raises(AlreadyLabelled, match="was labelled 7 already"):
        book.record(prediction, 1)
    with pytest.raises(UnknownPrediction, match="ids are valid for 1 minutes"):
        book.record("0-0-0", 1)
    assert book.labelled().labels.tolist() == [7]  # the refused label changed nothing


def test_the_service_takes_feedback_and_answers_each_refusal_in_the_declared_shape(
    client: TestClient, splits: MnistSplits
) -> None:
    digits = splits.test.images[:2].astype(np.float32) / 255.0
    answer = client.post("/predict/batch", json={"images": digits.tolist()}).json()
    first, second = answer["predictions"]
    truth = int(splits.test.labels[0])
    accepted = client.post("/feedback", json={"id": first["id"], "label": truth})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["correct"] == (first["digit"] == truth)
    assert accepted.json()["labelled"] >= 1
    cases = [
        ({"id": first["id"], "label": truth}, 409, "labelled"),  # a second label
        ({"id": "0-0-0", "label": 3}, 404, "no prediction"),  # never made
        ({"id": second["id"], "label": 10}, 400, "label"),  # outside 0-9
        ({"id": second["id"], "label": "7"}, 400, "label"),  # a string, not a digit
        ({"label": 3}, 400, "id"),  # no id
    ]
    for body, status, word in cases:
        refused = client.post("/feedback", json=body)
        assert refused.status_code == status, (body, refused.text)
        assert set(refused.json()) <= {"error", "detail"} and word in refused.text, refused.text
