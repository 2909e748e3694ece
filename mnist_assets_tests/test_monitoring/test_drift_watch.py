import pytest

from mnist_assets.monitoring.drift_watch import DriftPolicy, DriftState, decide

POLICY = DriftPolicy(threshold=0.25, sustained_seconds=600, cooldown_seconds=3600, min_images=100)


@pytest.mark.parametrize(
    ("state", "score", "images", "now", "retrain", "reason"),
    [
        # Too few images to judge, whatever the score.
        (DriftState(), 0.9, 50, 0, False, "too little traffic to judge: 50 images, need 100"),
        # Below the threshold.
        (DriftState(), 0.05, 500, 0, False, "drift 0.050 is within the threshold 0.25"),
        # Above, but not for long enough yet.
        (DriftState(above_since=0), 0.6, 500, 300, False, "for 5.0 of the 10 minutes needed"),
        # Above for long enough: retrain.
        (DriftState(above_since=0), 0.6, 500, 600, True, "drift 0.600 above 0.25 for 10.0"),
        # Above for long enough, but a retrain was requested recently.
        (
            DriftState(above_since=0, last_request=-1000),
            0.6,
            500,
            600,
            False,
            "in cool-down until 1970-01-01 00:43 UTC",
        ),
        # The cool-down is over.
        (DriftState(above_since=0, last_request=-3000), 0.6, 500, 600, True, "above 0.25"),
    ],
)
def test_decisions(
    state: DriftState, score: float, images: int, now: float, retrain: bool, reason: str
) -> None:
    decision = decide(POLICY, state, score, images, now)
    assert decision.retrain is retrain
    assert reason in decision.reason


def test_the_state_tracks_the_stretch_above_the_threshold() -> None:
    first = decide(POLICY, DriftState(), 0.6, 500, now=100).state
    assert first.above_since == 100 and first.last_request is None
    assert decide(POLICY, first, 0.7, 500, now=400).state.above_since == 100
    assert decide(POLICY, first, 0.1, 500, now=400).state.above_since is None  # back below
    fired = decide(POLICY, first, 0.6, 500, now=800)
    assert fired.retrain and fired.state.last_request == 800 and fired.state.above_since is None
    assert DriftState.from_cursor(fired.state.to_cursor()) == fired.state
    assert DriftState.from_cursor(None) == DriftState()
