"""When live drift calls for retraining: above a threshold for long enough, outside a cool-down."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class DriftPolicy:
    """The settings of the watch (mnist_assets/configs/monitoring.yaml, section drift)."""

    threshold: float  # drift score (PSI) above which traffic counts as shifted
    sustained_seconds: float  # how long the score must stay above it before acting
    cooldown_seconds: float  # the least time between two retraining requests
    min_images: int  # fewer images in the window are too few to judge


@dataclass(frozen=True)
class DriftState:
    """What the watch remembers between evaluations (stored as the sensor's cursor)."""

    above_since: float | None = None  # when the score went above the threshold, if it is
    last_request: float | None = None  # when retraining was last requested
    last_score: float | None = None
    snapshot: dict[str, Any] | None = None  # the service's counters at the last reading

    def to_cursor(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> DriftState:
        return cls(**json.loads(cursor)) if cursor else cls()


@dataclass(frozen=True)
class Decision:
    """One evaluation's outcome: retrain or not, why, and the state to remember."""

    retrain: bool
    reason: str
    state: DriftState


def decide(
    policy: DriftPolicy, state: DriftState, score: float | None, images: int, now: float
) -> Decision:
    """Whether to retrain now, given the window's ``score`` over ``images`` images."""
    if score is None or images < policy.min_images:
        reason = f"too little traffic to judge: {images} images, need {policy.min_images}"
        return Decision(False, reason, state)
    if score <= policy.threshold:
        reason = f"drift {score:.3f} is within the threshold {policy.threshold}"
        return Decision(False, reason, replace(state, above_since=None, last_score=score))
    since = now if state.above_since is None else state.above_since
    above = replace(state, above_since=since, last_score=score)
    if now - since < policy.sustained_seconds:
        reason = (
            f"drift {score:.3f} above {policy.threshold} for {(now - since) / 60:.1f} of the "
            f"{policy.sustained_seconds / 60:g} minutes needed"
        )
        return Decision(False, reason, above)
    if state.last_request is not None and now - state.last_request < policy.cooldown_seconds:
        until = time.strftime(
            "%Y-%m-%d %H:%M UTC", time.gmtime(state.last_request + policy.cooldown_seconds)
        )
        reason = f"drift {score:.3f} above {policy.threshold}, but in cool-down until {until}"
        return Decision(False, reason, above)
    reason = f"drift {score:.3f} above {policy.threshold} for {(now - since) / 60:.1f} minutes"
    return Decision(True, reason, replace(above, above_since=None, last_request=now))
