"""The container path of the deploy: image built from the bento, served, scraped, swapped, rolled
back and removed, with the engine this machine has (Podman here, Docker where its daemon runs)."""

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from mnist_assets.deploy.engines import Engine, detect
from mnist_assets.deploy.probes import free_port, http_ok, wait_until
from mnist_assets.deploy.slots import ContainerSlots
from mnist_assets.deploy.state import DeployState
from mnist_assets.monitoring.prometheus import Prometheus
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.clients import Load, get_json, post_json
from mnist_assets_tests.integration.conftest import own_deployment, run
from mnist_assets_tests.integration.processes import any_process_mentions
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN, retrain_run
from mnist_assets_tests.integration.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_ONNX_IMAGE_BYTES = 700_000_000


@pytest.fixture
def engine() -> Engine:
    found, why = detect()
    if found is None:
        if os.environ.get("CI"):  # CI installs Podman (.ci/run): a missing engine is a failure
            pytest.fail(f"no container engine: {why}")
        pytest.skip(f"no container engine: {why}")
    return found


def test_the_bento_runs_as_a_container_swaps_rolls_back_and_leaves_nothing(
    tmp_path: Path, cli_env: dict[str, str], engine: Engine
) -> None:
    port, prometheus_port = own_deployment(tmp_path, cli_env)
    image_name = f"mnist-service-test-{uuid.uuid4().hex[:8]}"  # never the deployed images
    cli_env.update(MNIST_IMAGE_NAME=image_name, MNIST_API_TOKEN="container-test-token")
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(SHORT_RUN))
    deploy = ["mnist-assets", "deploy", "--target", "container", "--run-config", str(config)]
    prometheus = Prometheus(tmp_path / "run", "127.0.0.1", prometheus_port)
    try:
        output = run(deploy, REPO_ROOT, cli_env, timeout=900)
        assert "bento runs as" in output and f"{engine.name} containers" in output
        state = DeployState.load(tmp_path / "run" / "state.json")
        assert state.live is not None and state.live.runner == engine.name
        first = state.live.bento
        first_image = f"{image_name}:{first.split(':')[1]}"

        # The image: built from the bento, ONNX runtime without PyTorch, non-root, health-checked.
        inspected = engine.inspect("image", first_image)
        assert inspected is not None, first_image
        assert inspected["Size"] <= MAX_ONNX_IMAGE_BYTES, inspected["Size"]
        assert inspected["Config"]["User"] == "bentoml"
        healthcheck = inspected.get("Healthcheck") or inspected["Config"]["Healthcheck"]
        assert "/readyz" in " ".join(healthcheck["Test"])
        assert "container-test-token" not in json.dumps(inspected)  # the token is not baked in
        imports = engine.run(
            "run", "--rm", "--network", "none", first_image, "python3", "-c",
            "import importlib.util as u; print(u.find_spec('torch'), u.find_spec('onnxruntime'))",
        )  # fmt: skip
        assert imports.startswith("None ModuleSpec"), imports
        print(f"image {first_image}: {inspected['Size'] / 1e6:.0f} MB")

        # It serves through the gateway, with the token, and Prometheus scrapes its series.
        auth = {"authorization": "Bearer container-test-token"}
        info = get_json(f"{url}/model/info", auth)
        assert info["bento"] == first and info["runtime"].startswith("onnxruntime")
        image = [[0.0] * 28] * 28
        assert post_json(f"{url}/predict", {"image": image}) == 401
        for _ in range(20):
            assert post_json(f"{url}/predict", {"image": image}, auth) == 200
        assert prometheus.target_up()
        wait_for(
            lambda: prometheus.query("sum(mnist_predictions_total) >= 20"),
            60,
            "the 20 predictions scraped from the container",
        )
        status = run(["mnist-assets", "status"], REPO_ROOT, cli_env)
        assert "container mnist-" in status and first_image in status
        # The container's log has the engine's size cap (Docker: max-size, Podman: Size).
        container = engine.inspect("container", engine.containers(_label(tmp_path))[0])
        assert container is not None
        log_config = container["HostConfig"]["LogConfig"]
        assert log_config.get("Size") or (log_config.get("Config") or {}).get("max-size")
        assert f"bento logs   {engine.name} logs mnist-" in status

        # Nothing changed: no image is built again.
        started = time.monotonic()
        output = run(deploy, REPO_ROOT, cli_env, timeout=600)
        print(f"no-op deploy: {time.monotonic() - started:.1f} s")
        assert "up to date: nothing to retrain" in output and "building" not in output

        # A new model: its image replaces the container under load, no request fails.
        retrain = retrain_run(seed=7)
        load = Load(url, auth)
        load.start()
        materialize = ["dagster", "asset", "materialize", "-m", "mnist_assets.definitions"]
        selection = ["--select", "mnist_cnn*", "--config-json", json.dumps(retrain)]
        run([*materialize, *selection], REPO_ROOT, cli_env, timeout=900)
        swapped = load.sent
        wait_for(lambda: load.sent >= swapped + 50, 30, "50 requests after the swap")
        load.done.set()
        load.join()
        print(f"swap under load: {load.sent} requests, {len(load.failed)} failed")
        second = get_json(f"{url}/model/info", auth)
        assert second["model_version"] == "2" and second["bento"] != first
        assert load.sent > 100 and load.failed == []
        assert len(engine.containers(_label(tmp_path))) == 1  # the old container is gone

        # Rollback runs the first image again.
        run(["mnist-assets", "rollback"], REPO_ROOT, cli_env)
        assert get_json(f"{url}/model/info", auth)["bento"] == first
        running = engine.inspect("container", engine.containers(_label(tmp_path))[0])
        assert running is not None and running["Config"]["Image"].endswith(first_image)
        alias = engine.inspect("image", f"{image_name}:latest")
        assert alias is not None and alias["Id"] == inspected["Id"]  # latest moved back

        # deploy/docker-compose.yml runs the same image by the same name and tag.
        served = _compose_serves(engine, first_image, {**cli_env, **auth})
        assert served["bento"] == first
    finally:
        run(["mnist-assets", "undeploy"], REPO_ROOT, cli_env)
        leftover = engine.containers(_label(tmp_path))
        images = engine.run("images", "--format", "{{.Repository}}:{{.Tag}}").split()
        for ref in images:
            if image_name in ref:
                engine.run("rmi", "-f", ref, check=False)
    assert leftover == []
    assert not any_process_mentions(str(tmp_path / "run"))
    dangling = subprocess.run(
        [engine.name, "images", "--filter", "dangling=true", "--quiet"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert dangling == [], "the builds left intermediate images behind"


def _compose_serves(engine: Engine, image: str, env: dict[str, str]) -> dict:
    """The compose file's service part, up with ``image`` on a port of its own: /model/info."""
    port, project = free_port(), f"mnist-compose-{uuid.uuid4().hex[:8]}"
    command = ["docker", "compose"] if engine.name == "docker" else ["podman-compose"]
    command += ["-p", project, "-f", str(REPO_ROOT / "deploy" / "docker-compose.yml")]
    name, tag = image.split(":")
    compose_env = {
        **env,
        "MNIST_IMAGE_NAME": name,
        "MNIST_SERVICE_TAG": tag,
        "MNIST_SERVICE_PORT": str(port),
        "GRAFANA_ADMIN_PASSWORD": "unused: only the service starts",
    }
    try:
        run([*command, "up", "-d", "service"], REPO_ROOT, compose_env)
        url = f"http://127.0.0.1:{port}"
        started = lambda: bool(engine.containers(f"com.docker.compose.project={project}"))  # noqa: E731
        wait_until(lambda: http_ok(f"{url}/readyz"), 120, "the compose service", alive=started)
        return get_json(f"{url}/model/info", {"authorization": env["authorization"]})
    finally:
        run([*command, "down"], REPO_ROOT, compose_env)
        engine.run("network", "rm", f"{project}_default", check=False)


def _label(tmp_path: Path) -> str:
    return ContainerSlots(tmp_path / "run", Engine("podman")).label
