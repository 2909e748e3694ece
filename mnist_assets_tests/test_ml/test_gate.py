import dataclasses

import numpy as np
import pytest

from mnist_assets.ml.behaviour import Behaviour
from mnist_assets.ml.drift import BatchStatistics
from mnist_assets.ml.gate import (
    check_accuracy,
    check_behaviour,
    check_class_recall,
    check_no_regression,
)
from mnist_assets.ml.inference import Latency
from mnist_assets.ml.metrics import classification_metrics
from mnist_assets.ml.validation import ChampionComparison, ValidationReport
from mnist_assets_tests.configs import gate_thresholds

LIMITS = gate_thresholds(min_accuracy=0.97, min_class_recall=0.90, max_regression=0.005)
WELL_BEHAVED = Behaviour(shift_flip_rate=0.0, blank_confidence=0.1, noise_confidence=0.1)


def _report(
    recalls: list[float],
    champion: ChampionComparison | None = None,
    behaviour: Behaviour = WELL_BEHAVED,
) -> ValidationReport:
    """A report whose test split has 100 examples per digit and the given per-class recall."""
    labels = np.repeat(np.arange(10), 100)
    predictions = labels.copy()
    for digit, recall in enumerate(recalls):
        wrong = round((1 - recall) * 100)
        predictions[digit * 100 : digit * 100 + wrong] = (digit + 1) % 10
    return ValidationReport(
        model_version="2",
        mlflow_run_id="run",
        data_version="data",
        metrics=classification_metrics(labels, np.eye(10)[predictions]),
        behaviour=behaviour,
        latency=Latency(0.5, 0.6, 10),
        champion=champion,
        thresholds=LIMITS,
        drift_reference=BatchStatistics.from_images(np.zeros((1, 28, 28))),
    )


def test_a_good_first_model_passes_every_rule() -> None:
    report = _report([0.99] * 10)
    assert all(
        rule(report).passed for rule in (check_accuracy, check_class_recall, check_no_regression)
    )
    assert "no champion yet" in check_no_regression(report).description


def test_accuracy_says_by_how_much_it_misses() -> None:
    verdict = check_accuracy(_report([0.95] * 10))
    assert not verdict.passed
    assert verdict.description == "accuracy 95.00% is 2.00% below the 97.00% threshold"


def test_class_recall_names_each_failing_digit() -> None:
    verdict = check_class_recall(_report([0.99] * 7 + [0.85, 0.99, 0.80]))
    assert not verdict.passed
    assert verdict.description == "recall below the 90.00% floor: digit 7 85.00%, digit 9 80.00%"
    assert verdict.metadata["weakest_class"] == 9


@pytest.mark.parametrize(
    ("champion_accuracy", "passed"),
    [
        (0.990, True),  # the candidate equals the champion
        (0.994, True),  # the champion leads by 0.4 pp, inside the 0.5 pp tolerance
        (0.999, False),  # the champion leads by 0.9 pp
    ],
)
def test_no_regression_against_the_champion(champion_accuracy: float, passed: bool) -> None:
    report = _report([0.99] * 10, ChampionComparison("1", champion_accuracy))
    verdict = check_no_regression(report)
    assert verdict.passed is passed
    if not passed:
        assert verdict.description == (
            "champion v1 scores 99.90%, 0.90% above the candidate's 99.00% (tolerance 0.50%)"
        )


def test_report_round_trips_through_its_folder(tmp_path) -> None:
    report = _report([0.99] * 10, ChampionComparison("1", 0.98))
    report.save(tmp_path)
    assert ValidationReport.load(tmp_path) == report
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert dataclasses.asdict(ValidationReport.load(tmp_path).thresholds)["max_regression"] == 0.005


def test_behaviour_warns_with_each_problem() -> None:
    assert check_behaviour(_report([0.99] * 10)).passed
    verdict = check_behaviour(_report([0.99] * 10, behaviour=Behaviour(0.08, 0.2, 0.97)))
    assert not verdict.passed
    assert verdict.description == (
        "one-pixel shifts flip 8.00% of predictions (limit 5.00%); "
        "noise images get 0.97 confidence (limit 0.5)"
    )
