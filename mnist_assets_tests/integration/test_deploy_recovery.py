"""Deploys that cannot interleave or lie: one lock, and recovery from a deploy killed mid-way."""

import threading
from pathlib import Path

import bentoml
import pytest

from mnist_assets.deploy.bentos import build_bento
from mnist_assets.deploy.files import change_lock
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.stack import Deployment, served_model
from mnist_assets.deploy.state import DeployState
from mnist_assets.serving.model_store import save_champion
from mnist_assets_tests.integration.clients import Load
from mnist_assets_tests.integration.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_one_change_of_the_deployment_at_a_time(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with change_lock(tmp_path, timeout=5):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    with (
        pytest.raises(TimeoutError, match="another change of the deployment"),
        change_lock(tmp_path, timeout=0.5),
    ):
        pass
    release.set()
    thread.join()
    with change_lock(tmp_path, timeout=0.5):  # free again once the holder is done
        pass


def _two_bentos(stored_int8_model: str) -> tuple[str, str]:
    first, _ = build_bento(stored_int8_model, {"model_version": "7"})
    model = bentoml.models.get(stored_int8_model)
    folder = Path(model.path)
    labels = {**model.info.labels, "model_version": "8"}
    other = save_champion(folder / "model.pt", folder / "drift_reference.json", labels, {})
    second, _ = build_bento(other, {"model_version": "8"})
    return str(first.tag), str(second.tag)


def test_a_deploy_killed_before_recording_its_state_is_recovered_without_an_outage(
    tmp_path: Path, stored_int8_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _two_bentos(stored_int8_model)
    deployment = Deployment(tmp_path / "run", "127.0.0.1", free_port(), free_port())
    try:
        deployment.serve(first, "7")
        # Killed between routing and recording: the gateway already sends to the new slot.
        with monkeypatch.context() as patch:
            patch.setattr(DeployState, "save", _killed)
            with pytest.raises(KeyboardInterrupt):
                deployment.serve(second, "8")
        assert deployment.state().live.bento == first  # what the state file still says
        assert served_model(deployment.url)["bento"] == second
        green = deployment.supervisor.pid("bento-green")

        load = Load(deployment.url)
        load.start()
        wait_for(lambda: load.sent >= 20, 30, "20 requests before the deploy")
        release = deployment.serve(second, "8")  # the next deploy of the same bento
        deployed = load.sent
        wait_for(lambda: load.sent >= deployed + 20, 30, "20 requests after the deploy")
        load.done.set()
        load.join()
        assert load.sent > 20 and load.failed == []  # no outage
        assert (release.bento, release.slot) == (second, "green")
        assert deployment.supervisor.pid("bento-green") == green  # adopted, not restarted
        assert deployment.state().live.bento == second
        assert deployment.state().history[-1].bento == first  # rollback still finds it
    finally:
        deployment.stop()


def _killed(self: DeployState, path: Path) -> None:
    raise KeyboardInterrupt  # as a kill -INT would, at the worst moment
