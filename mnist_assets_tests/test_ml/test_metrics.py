import numpy as np
import pytest

from mnist_assets.ml.evaluation.metrics import classification_metrics, expected_calibration_error


def _one_hot(predictions: list[int], classes: int) -> np.ndarray:
    return np.eye(classes)[predictions]


def test_figures_match_a_hand_computed_example() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2])
    predictions = [0, 1, 1, 1, 2, 0]
    m = classification_metrics(labels, _one_hot(predictions, 3), classes=3)
    # Rows are true classes: 0 -> {0, 1}, 1 -> {1, 1}, 2 -> {2, 0}.
    assert m.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.precision == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert m.recall == pytest.approx([1 / 2, 1.0, 1 / 2])
    assert m.f1 == pytest.approx([1 / 2, 0.8, 2 / 3])
    assert m.support == [2, 2, 2]
    assert m.macro["f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m.weighted["recall"] == pytest.approx(4 / 6)
    # Always fully confident, right 4 times in 6: off by 1/3.
    assert m.expected_calibration_error == pytest.approx(1 / 3)
    # As MLflow metrics: each digit's figures and the macro averages, by flat names.
    flat = m.per_class()
    assert len(flat) == 3 * 3 + 3
    assert flat["test_precision_1"] == pytest.approx(2 / 3)
    assert flat["test_recall_2"] == pytest.approx(1 / 2)
    assert flat["test_macro_f1"] == pytest.approx(m.macro["f1"])


def test_a_class_never_predicted_has_zero_precision_not_nan() -> None:
    m = classification_metrics(np.array([0, 1]), _one_hot([0, 0], 2), classes=2)
    assert m.precision == [0.5, 0.0] and m.recall == [1.0, 0.0] and m.f1[1] == 0.0


def test_weighted_average_follows_support() -> None:
    labels = np.array([0, 0, 0, 1])
    m = classification_metrics(labels, _one_hot([0, 0, 0, 0], 2), classes=2)
    assert m.weighted["recall"] == pytest.approx(0.75 * 1.0 + 0.25 * 0.0)
    assert m.macro["recall"] == pytest.approx(0.5)


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    confidences = np.full(10, 0.7)
    correct = np.array([1] * 7 + [0] * 3, dtype=float)
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0)
