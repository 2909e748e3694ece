"""The outcome of a rule (data quality, promotion gate), in words and numbers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """Pass or fail, why, and figures worth showing."""

    passed: bool
    description: str
    metadata: dict[str, float | int | str] = field(default_factory=dict)
