"""The promotion gate measured: how often it blocks an equal candidate, and a worse one.

Trains ``--pairs`` pairs of models on the bundled splits with the default network and recipe
(``--epochs`` of them, fewer than the default 15 to keep the run short), the two of a pair
differing only in their seed. The first of each pair plays the champion, and two candidates
face it on the 500 test digits:

- **equal**: the second model as it is: equally good by construction, so a block is a false one;
- **worse**: the second model with as many of the test digits it gets right turned wrong as
  put it 2 pp below the champion (10 of 500 digits): truly worse, so a block is a detection.

Each is judged by the gate (one-sided exact McNemar test, alpha from the config) and, as the
baseline in the same run, by the rule it replaced: block when the champion leads by more than
0.5 pp of accuracy.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from mnist_assets.defs.data.assets import SplitConfig
from mnist_assets.defs.evaluation.config import ValidationConfig
from mnist_assets.defs.training.config import TrainingRunConfig
from mnist_assets.ml.data.sources import BundledSource
from mnist_assets.ml.data.splits import content_split
from mnist_assets.ml.evaluation.gate import worse_p_value
from mnist_assets.ml.evaluation.validation import ChampionComparison, right_on_test
from mnist_assets.ml.training.fit import fit

OLD_TOLERANCE = 0.005  # the fixed tolerance the gate used before: 0.5 pp of accuracy
WORSE_BY = 0.02


def blocks(champion: np.ndarray, candidate: np.ndarray, alpha: float) -> tuple[bool, bool]:
    """(the gate blocks, the old tolerance rule blocks) for two per-digit right/wrong arrays."""
    paired = ChampionComparison.paired("champion", champion, candidate)
    gate = worse_p_value(paired.champion_only, paired.candidate_only) < alpha
    return gate, champion.mean() - candidate.mean() > OLD_TOLERANCE


def worsened(right: np.ndarray, champion: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``right`` with random right digits made wrong until it is ``WORSE_BY`` below ``champion``."""
    count = max(0, int(right.sum()) - int(champion.sum()) + round(WORSE_BY * len(right)))
    flipped = right.copy()
    flipped[rng.choice(np.flatnonzero(right), count, replace=False)] = False
    return flipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()

    split = SplitConfig()
    splits = content_split(BundledSource().load(), split.fractions(), split.seed)
    model, recipe = TrainingRunConfig().to_configs()
    recipe = dataclasses.replace(recipe, epochs=args.epochs)
    alpha = ValidationConfig().thresholds().regression_alpha
    rng = np.random.default_rng(0)
    rows = []
    for pair in range(args.pairs):
        champion, candidate = (
            right_on_test(
                fit(model, dataclasses.replace(recipe, seed=seed), splits.train, splits.val).model,
                splits,
            )
            for seed in (2 * pair, 2 * pair + 1)
        )
        equal = blocks(champion, candidate, alpha)
        worse = blocks(champion, worsened(candidate, champion, rng), alpha)
        rows.append((champion.mean(), candidate.mean(), *equal, *worse))
        print(
            f"pair {pair + 1:2}: champion {champion.mean():.2%}, candidate {candidate.mean():.2%}"
            f" | equal blocked: gate {equal[0]!s:5} old {equal[1]!s:5}"
            f" | 2 pp worse blocked: gate {worse[0]!s:5} old {worse[1]!s:5}",
            flush=True,
        )
    table = np.array(rows, dtype=float)
    gaps = np.abs(table[:, 0] - table[:, 1]) * 100
    print(
        f"\n{args.pairs} pairs, {len(splits.test)} test digits, {args.epochs} epochs, "
        f"alpha {alpha}; gap between equal models: median {np.median(gaps):.1f} pp, "
        f"max {gaps.max():.1f} pp"
    )
    print(f"{'rule':<34} {'equal blocked':>14} {'2 pp worse blocked':>19}")
    for name, column in (("gate: McNemar, one-sided", 2), ("baseline: champion leads > 0.5 pp", 3)):
        print(f"{name:<34} {table[:, column].mean():>14.0%} {table[:, column + 2].mean():>19.0%}")


if __name__ == "__main__":
    main()
