from pathlib import Path

from mnist_assets.deploy.state import DeployState, Release


def _release(n: int) -> Release:
    return Release(bento=f"mnist_service:{n}", model_version=str(n), slot="blue", port=9000 + n)


def test_going_live_keeps_the_replaced_release_for_rollback(tmp_path: Path) -> None:
    state = DeployState()
    state.go_live(_release(1))
    state.go_live(_release(1))  # the same bento again is not a new release
    state.go_live(_release(2))
    assert state.live == _release(2) and state.history == [_release(1)]

    state.roll_back(state.history[-1])
    assert state.live == _release(1) and state.history == []


def test_state_survives_a_save_and_load(tmp_path: Path) -> None:
    state = DeployState()
    state.go_live(_release(1))
    state.go_live(_release(2))
    state.save(tmp_path / "state.json")
    assert DeployState.load(tmp_path / "state.json") == state
    assert DeployState.load(tmp_path / "missing.json") == DeployState()
