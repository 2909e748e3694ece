"""deploy/k8s/bento.yaml played for real with ``podman kube play``, on the image the deploy
builds: every replica serves with the Secret's token, a crashed replica comes back, and
``podman kube down`` leaves nothing."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

from mnist_assets.deploy.base_image import base_image
from mnist_assets.deploy.bentos import build_bento
from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.image import ensure_image
from mnist_assets.deploy.probes import http_ok
from mnist_assets_tests.integration.clients import get_json, post_json
from mnist_assets_tests.integration.kube_play import crash, deployment, manifest, played
from mnist_assets_tests.integration.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "kube-test-token"


@pytest.fixture
def podman() -> Engine:
    if shutil.which("podman") is None:
        if os.environ.get("CI"):  # CI installs Podman (.ci/run): a missing one is a failure
            pytest.fail("no podman: kube play needs it")
        pytest.skip("no podman: kube play needs it")
    return Engine("podman")


@pytest.fixture
def image(podman: Engine, stored_int8_model: str, monkeypatch: pytest.MonkeyPatch):
    """The service image of a bento of the test model, as `mnist-assets deploy` builds it."""
    name = f"mnist-service-test-{uuid.uuid4().hex[:8]}"  # never the deployed images
    monkeypatch.setenv("MNIST_IMAGE_NAME", name)
    bento, _ = build_bento(stored_int8_model, {"t": "kube"})
    built = ensure_image(podman, str(bento.tag), lambda: base_image(podman))
    yield built.ref
    podman.run("rmi", "-f", built.ref, check=False)


def test_the_manifest_declares_what_the_play_checks() -> None:
    declared = deployment(manifest())
    (container,) = declared["spec"]["template"]["spec"]["containers"]
    assert declared["spec"]["replicas"] == 2
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {d["kind"] for d in manifest()} == {"Deployment", "Service", "HorizontalPodAutoscaler"}


def test_every_replica_serves_a_crashed_one_comes_back_and_kube_down_leaves_nothing(
    podman: Engine, image: str, tmp_path: Path
) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    blank = {"image": [[0.0] * 28] * 28}
    with played(podman, image, TOKEN, tmp_path) as play:
        replicas = play.replicas
        assert len(replicas) == 2
        for replica in replicas:
            wait_for(
                lambda r=replica: http_ok(f"{r.url}/readyz"), 120, f"{replica.container} ready"
            )
            assert post_json(f"{replica.url}/predict", blank) == 401  # the Secret's token guards
            assert post_json(f"{replica.url}/predict", blank, auth) == 200
            assert get_json(f"{replica.url}/model/info", auth)["runtime"] == "onnxruntime-int8"
        names = [r.container for r in replicas]

        # A crash of one replica: Podman restarts it (restartPolicy Always), the other serves on.
        restarts = crash(podman, replicas[0].container)
        wait_for(
            lambda: (podman.inspect("container", names[0]) or {}).get("RestartCount", 0) > restarts,
            60,
            "the crashed replica restarted",
        )
        assert post_json(f"{replicas[1].url}/predict", blank, auth) == 200
        wait_for(lambda: http_ok(f"{replicas[0].url}/readyz"), 120, "the restarted replica ready")
        assert post_json(f"{replicas[0].url}/predict", blank, auth) == 200
    for name in names:
        assert podman.inspect("container", name) is None, name
    pods = podman.run("pod", "ps", "--format", "{{.Name}}").split()
    assert not [p for p in pods if any(n.startswith(p) for n in names)]
    assert play.secret not in podman.run("secret", "ls", "--format", "{{.Name}}").split()
