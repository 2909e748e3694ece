import dataclasses

import numpy as np
import pytest

from mnist_assets.ml.evaluation.behaviour import Behaviour
from mnist_assets.ml.evaluation.gate import (
    check_accuracy,
    check_behaviour,
    check_class_recall,
    check_no_regression,
    worse_p_value,
)
from mnist_assets.ml.evaluation.metrics import classification_metrics
from mnist_assets.ml.evaluation.validation import ChampionComparison, ValidationReport
from mnist_assets.ml.inference.batched import Latency
from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets_tests.configs import gate_thresholds

LIMITS = gate_thresholds(min_accuracy=0.97, min_class_recall=0.90, regression_alpha=0.05)
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


def _versus_champion(champion_only: int, candidate_only: int) -> ChampionComparison:
    # 1,000 test digits; the candidate gets 990 right (the report's 99 % recall everywhere).
    champion_right = 990 + champion_only - candidate_only
    return ChampionComparison("1", champion_right / 1000, champion_only, candidate_only, 1000)


@pytest.mark.parametrize(
    ("champion_only", "candidate_only", "passed"),
    [
        (0, 0, True),  # the same predictions
        (6, 4, True),  # two digits apart: what two seeds of one recipe give
        (5, 0, False),  # five to none: p = 1/32 = 0.031, the smallest lead that blocks
        (4, 0, True),  # four to none: p = 0.0625, not enough evidence
        (9, 1, False),  # the champion wins 9 of 10 disagreements: p = 0.011
        (25, 5, False),  # 2 pp worse on 1,000 digits: p < 0.001
    ],
)
def test_no_regression_blocks_only_a_candidate_worse_with_confidence(
    champion_only: int, candidate_only: int, passed: bool
) -> None:
    report = _report([0.99] * 10, _versus_champion(champion_only, candidate_only))
    verdict = check_no_regression(report)
    assert verdict.passed is passed, verdict.description
    assert verdict.metadata["champion_right_candidate_wrong"] == champion_only
    assert verdict.description.endswith("not worse" if passed else "worse")


def test_the_p_value_is_the_exact_binomial_tail() -> None:
    assert worse_p_value(0, 0) == 1.0  # no disagreement, no evidence
    assert worse_p_value(5, 0) == pytest.approx(1 / 32)
    assert worse_p_value(9, 1) == pytest.approx(11 / 1024)
    assert worse_p_value(1, 9) == pytest.approx(1 - 1 / 1024)  # the candidate is the better
    verdict = check_no_regression(_report([0.99] * 10, _versus_champion(9, 1)))
    assert verdict.description == (
        "candidate 99.00% vs champion v1 99.80% on 1000 test digits neither saw (0 excluded); of "
        "the 10 they disagree on, the champion is right on 9, the candidate on 1 "
        "(McNemar p = 0.0107 < 0.05): worse"
    )


@pytest.mark.parametrize(
    ("comparison", "reason"),
    [
        # The champion trained on 850 of the 1,000 test digits: 150 are too few to judge on.
        (ChampionComparison("1", 0.99, 0, 0, 150, excluded=850), "850 were seen in training"),
        # A champion that kept no record of its digits: none can be trusted as unseen.
        (ChampionComparison("1", 0.0, 0, 0, 0, excluded=1000, recorded=False), "kept no record"),
    ],
)
def test_no_regression_refuses_to_decide_on_too_few_unseen_digits(
    comparison: ChampionComparison, reason: str
) -> None:
    verdict = check_no_regression(_report([0.99] * 10, comparison))
    assert not verdict.passed
    unseen = f"only {comparison.examples} test digits are unseen by both models"
    assert unseen in verdict.description
    assert reason in verdict.description
    assert "fewer than the 200 the comparison needs" in verdict.description
    assert verdict.metadata["excluded_digits"] == comparison.excluded


def test_report_round_trips_through_its_folder(tmp_path) -> None:
    report = _report([0.99] * 10, _versus_champion(3, 4))
    report.save(tmp_path)
    assert ValidationReport.load(tmp_path) == report
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert (
        dataclasses.asdict(ValidationReport.load(tmp_path).thresholds)["regression_alpha"] == 0.05
    )


def test_behaviour_warns_with_each_problem() -> None:
    assert check_behaviour(_report([0.99] * 10)).passed
    verdict = check_behaviour(_report([0.99] * 10, behaviour=Behaviour(0.08, 0.2, 0.97)))
    assert not verdict.passed
    assert verdict.description == (
        "one-pixel shifts flip 8.00% of predictions (limit 5.00%); "
        "noise images get 0.97 confidence (limit 0.5)"
    )
