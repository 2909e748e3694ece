from pathlib import Path

import pytest

from mnist_assets.ml.data.splits import MnistSplits, image_hashes
from mnist_assets.ml.evaluation.validation import (
    Champion,
    ChampionComparison,
    right_on_test,
    validate,
)
from mnist_assets.ml.training.model import MnistCnn
from mnist_assets.ml.training.seen_digits import load_seen, save_seen, seen_hashes
from mnist_assets_tests.configs import gate_thresholds


def test_seen_digits_round_trip_as_one_file_per_set(tmp_path: Path, splits: MnistSplits) -> None:
    seen = seen_hashes(splits)
    assert len(seen) == len(splits.train) + len(splits.val)
    save_seen(tmp_path / "a.npy", seen)
    save_seen(tmp_path / "b.npy", frozenset(sorted(seen, reverse=True)))
    assert load_seen(tmp_path / "a.npy") == seen
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


def _compared(candidate: MnistCnn, splits: MnistSplits, champion: Champion) -> ChampionComparison:
    """What the validation report says of ``champion`` against ``candidate``."""
    report = validate(
        candidate,
        splits,
        model_version="2",
        mlflow_run_id="run",
        champion=champion,
        thresholds=gate_thresholds(),
    )
    assert report.champion is not None
    return report.champion


def test_a_champion_that_trained_on_test_digits_is_judged_on_the_rest(
    trained_model: MnistCnn, splits: MnistSplits
) -> None:
    # The champion (splits made the old way) trained on the first 300 of today's test digits.
    overlap = frozenset(image_hashes(splits.test.images[:300]))
    champion = Champion("1", trained_model, seen=overlap | seen_hashes(splits))
    comparison = _compared(trained_model, splits, champion)
    assert (comparison.examples, comparison.excluded) == (len(splits.test) - 300, 300)
    # The same network on the same digits: no digit where only one of them is right.
    assert comparison.champion_only == comparison.candidate_only == 0
    right = right_on_test(trained_model, splits)
    assert comparison.accuracy == pytest.approx(right[300:].mean())


def test_a_champion_without_a_record_has_every_test_digit_excluded(
    trained_model: MnistCnn, splits: MnistSplits
) -> None:
    champion = Champion("1", trained_model, seen=None)
    comparison = _compared(trained_model, splits, champion)
    assert not comparison.recorded
    assert (comparison.examples, comparison.excluded) == (0, len(splits.test))
