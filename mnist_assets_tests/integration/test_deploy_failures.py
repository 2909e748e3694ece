"""Each step of a release made to fail in turn: the live release serves on, nothing of the
attempt stays running, and rollback serves the release that served before the live one."""

import subprocess
from pathlib import Path

import bentoml
import pytest

from mnist_assets.deploy.bentos import build_bento
from mnist_assets.deploy.engines import detect
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.slots import ContainerSlots
from mnist_assets.deploy.stack import DeployError, Deployment, served_model
from mnist_assets.serving.model_store import save_champion
from mnist_assets.settings import SettingError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EMPTY_BASE = "mnist-test-empty-base:1"  # an image with no files at all: no shell to build with


def _bentos(stored_int8_model: str, versions: list[str]) -> list[str]:
    """One bento per model version, each serving its own copy of the stored model."""
    model = bentoml.models.get(stored_int8_model)
    folder = Path(model.path)
    tags = []
    for version in versions:
        labels = {**model.info.labels, "model_version": version}
        stored = save_champion(folder / "model.pt", folder / "drift_reference.json", labels, {})
        tags.append(str(build_bento(stored, {"model_version": version})[0].tag))
    return tags


def _attempt_left_nothing(deployment: Deployment, live: str) -> None:
    assert served_model(deployment.url)["bento"] == live
    assert deployment.state().live.bento == live
    running = deployment.state().live.slot
    other = "green" if running == "blue" else "blue"
    assert deployment.supervisor.pid(f"bento-{other}") is None


def test_every_failed_step_leaves_the_live_release_and_rollback_goes_one_back(
    tmp_path: Path, stored_int8_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = _bentos(stored_int8_model, ["21", "22", "23"])
    deployment = Deployment(tmp_path / "run", "127.0.0.1", free_port(), free_port())
    try:
        deployment.serve(first, "21")
        deployment.serve(second, "22")  # live: second; before it: first

        # A setting of the wrong type: refused, naming it, before anything of the attempt starts.
        with monkeypatch.context() as patch:
            patch.setenv("MNIST_MAX_IMAGE_PIXELS", "a million")
            with pytest.raises(SettingError, match="MNIST_MAX_IMAGE_PIXELS='a million'"):
                deployment.serve(third, "23")
        _attempt_left_nothing(deployment, second)

        # The new slot never gets ready: its workers cannot read the monitoring settings they
        # start from (an override naming no section of monitoring.yaml).
        override = tmp_path / "monitoring.yaml"
        override.write_text("no_such_section: {ring_size: 1}\n")
        with monkeypatch.context() as patch:
            patch.setenv("MNIST_MONITORING_CONFIG", str(override))
            patch.setenv("MNIST_READY_TIMEOUT_S", "30")  # ready in ~10 s when it works
            with pytest.raises(DeployError, match="the previous release keeps serving"):
                deployment.serve(third, "23")
        _attempt_left_nothing(deployment, second)

        # The gateway's config test refuses the new configuration (nginx -t: a body cap past
        # what it can count, which the bento itself takes): the bento started for it stops.
        with monkeypatch.context() as patch:
            patch.setenv("MNIST_MAX_BODY_BYTES", str(10**20))
            with pytest.raises(DeployError, match="nginx -t -q failed"):
                deployment.serve(third, "23")
        _attempt_left_nothing(deployment, second)

        # The image build fails (a base without a shell): no container is left behind.
        engine, why = detect()
        if engine is not None:
            subprocess.run(
                [engine.name, "import", "-", EMPTY_BASE],
                input=subprocess.run(
                    ["tar", "cf", "-", "--files-from", "/dev/null"], capture_output=True
                ).stdout,
                check=True,
                capture_output=True,
            )
            deployment.choose_runner(engine.name)
            with monkeypatch.context() as patch:
                patch.setenv("MNIST_BASE_IMAGE", EMPTY_BASE)
                with pytest.raises(DeployError, match="failed"):
                    deployment.serve(third, "23")
            assert ContainerSlots(deployment.run_dir, engine).stop_all() == []
            _attempt_left_nothing(deployment, second)
            deployment.choose_runner("processes")
            engine.run("rmi", "-f", EMPTY_BASE, check=False)
        else:
            print(f"image build not tried: no container engine ({why})")

        # Rollback: the release before the live one, not the last one that was attempted.
        release = deployment.roll_back()
        assert (release.bento, release.model_version) == (first, "21")
        assert served_model(deployment.url)["bento"] == first
        assert deployment.state().live.bento == first
    finally:
        deployment.stop()
