"""One factory for asset checks that apply a rule from ``ml/`` to an asset's value."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from mnist_assets.ml.verdict import Verdict


def verdict_check(
    asset: dg.AssetsDefinition,
    name: str,
    rule: Callable[[Any], Verdict],
    value_type: type,
    *,
    blocking: bool = True,
    description: str | None = None,
) -> dg.AssetChecksDefinition:
    """An asset check that loads ``asset`` as ``value_type`` and reports what ``rule`` found.

    Blocking checks stop everything downstream when they fail; the others warn.
    """
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN

    @dg.asset_check(
        asset=asset, name=name, blocking=blocking, description=description or rule.__doc__
    )
    def _check(value: value_type) -> dg.AssetCheckResult:  # type: ignore[valid-type]
        verdict = rule(value)
        return dg.AssetCheckResult(
            passed=verdict.passed,
            severity=severity,
            description=verdict.description,
            metadata=verdict.metadata,
        )

    return _check
