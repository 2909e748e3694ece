"""`mnist-assets validate --version N`: the gate's verdict on any registered version, nothing moved.

Scores version N on the current test split against the current champion (only on the test
digits neither saw) and prints each of the gate's rules; no alias moves and nothing is logged.
"""

import sys

from mnist_assets.defs.evaluation.config import ValidationConfig
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.ml.data.splits import MnistSplits, image_hashes
from mnist_assets.ml.evaluation.gate import BLOCKING_RULES, check_behaviour
from mnist_assets.ml.evaluation.validation import validate
from mnist_assets.settings import settings


def validate_version(version: str) -> int:
    """0 when version ``version`` would pass every blocking rule of the gate, else 1."""
    registry = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri)
    found = registry.registered_version(version)
    if found is None:
        print(f"validate: {registry.model_name} has no version {version}", file=sys.stderr)
        return 1
    splits_dir = settings().data_root / "mnist_splits"
    if not (splits_dir / "splits.json").is_file():
        print(f"validate: no splits in {splits_dir}: run `make data` first", file=sys.stderr)
        return 1
    splits = MnistSplits.load(splits_dir)
    seen = registry.seen_digits(found)
    report = validate(
        registry.load_version(found),
        splits,
        model_version=version,
        mlflow_run_id=found.run_id or "",
        champion=registry.champion(),
        thresholds=ValidationConfig().thresholds(),
        candidate_seen=seen,
    )
    m = report.metrics
    print(f"{registry.model_name} v{version} on {len(splits.test)} test digits (nothing moves):")
    print(f"  accuracy {m.accuracy:.2%}, macro F1 {m.macro['f1']:.4f}")
    if seen is None:
        print("  (this version kept no record of the digits it saw)")
    elif trained_on := len(seen & frozenset(image_hashes(splits.test.images))):
        print(f"  note: it trained or chose its epoch on {trained_on} of these test digits")
    rules = {**BLOCKING_RULES, "behaviour (warning only)": check_behaviour}
    failed = 0
    for name, rule in rules.items():
        verdict = rule(report)
        failed += not verdict.passed and name in BLOCKING_RULES
        print(f"  {name}: {'passed' if verdict.passed else 'FAILED'}: {verdict.description}")
    print("would pass the gate" if not failed else f"would be blocked ({failed} rules failed)")
    return 1 if failed else 0
