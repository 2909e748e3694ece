"""A warning (not blocking) when a new raw_mnist version looks different from the last one."""

import dagster as dg

from mnist_assets.defs.data.assets import STATISTICS_KEY, raw_mnist
from mnist_assets.env import config_defaults
from mnist_assets.ml.monitoring.drift import BatchStatistics, drift_scores

_MAX_PSI = config_defaults("data")["quality"]["max_drift_psi"]
_LOOKBACK = 50  # materialisations searched for the previous, different version


def _version_and_statistics(record: dg.EventLogRecord) -> tuple[str, BatchStatistics | None]:
    materialization = record.asset_materialization
    assert materialization is not None
    statistics = materialization.metadata.get(STATISTICS_KEY)
    version = (materialization.tags or {}).get("dagster/data_version", "")
    if statistics is None:
        return version, None
    return version, BatchStatistics(**statistics.value)  # type: ignore[arg-type]


@dg.asset_check(asset=raw_mnist, name="data_drift", blocking=False)
def data_drift(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """PSI of pixel, mean-intensity and class histograms against the previous data version."""
    records = context.instance.fetch_materializations(raw_mnist.key, limit=_LOOKBACK).records
    if not records:
        return dg.AssetCheckResult(passed=True, description="raw_mnist has no materialisation")
    version, current = _version_and_statistics(records[0])
    previous = next(
        (stats for v, stats in map(_version_and_statistics, records[1:]) if v != version), None
    )
    if current is None or previous is None:
        return dg.AssetCheckResult(passed=True, description="no earlier version to compare with")
    scores = drift_scores(previous, current)
    worst = max(scores, key=lambda name: scores[name])
    passed = scores[worst] <= _MAX_PSI
    verdict = "within" if passed else "above"
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"largest shift: {worst} PSI {scores[worst]:.3f}, {verdict} the {_MAX_PSI} limit"
        ),
        metadata={f"psi_{name}": round(score, 4) for name, score in scores.items()},
    )
