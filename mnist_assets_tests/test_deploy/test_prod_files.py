"""The production files: Dagster instance, compose topology, Kubernetes manifests and values."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.deploy.engines import Engine
from mnist_assets.deploy.prod_compose import ComposeTopology
from mnist_assets.deploy.prod_images import RECIPES
from mnist_assets.deploy.topology import Ports
from mnist_assets.settings import settings
from mnist_assets_tests import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.prod.yml").read_text())
MODULE = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]


def test_the_production_instance_config_is_valid_dagster_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://mnist@127.0.0.1:5432/dagster")
    config, _ = dagster_instance_config(str(DEPLOY / "dagster"))
    assert "postgres" in config["storage"]
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": TRAINING_RUN_TAG, "limit": 1} in limits


def test_compose_describes_the_whole_topology() -> None:
    services = COMPOSE["services"]
    assert set(services) == {
        "postgres",
        "code-server",
        "webserver",
        "daemon",
        "mlflow",
        "bento",
        "prometheus",
        "grafana",
    }
    for name in ("webserver", "daemon"):
        assert "/opt/mnist-assets/workspace.yaml" in services[name]["command"]
    workspace = yaml.safe_load((DEPLOY / "dagster" / "workspace.docker.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    assert (
        server["host"] == "code-server"
        and str(server["port"]) in services["code-server"]["command"]
    )
    assert MODULE in services["code-server"]["command"]


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_compose_services_bind_loopback_run_non_root_and_hold_no_secret(name: str) -> None:
    service = COMPOSE["services"][name]
    for port in service.get("ports", []):
        assert port.startswith("${MNIST_BIND_HOST:-127.0.0.1}:"), port
    assert service.get("user") and not str(service["user"]).startswith("0"), name
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith("."):
            assert (DEPLOY / source).exists(), source
    text = yaml.safe_dump(service)
    for secret in re.findall(r"(?:PASSWORD|TOKEN)\w*: (\S+)", text):
        assert secret.startswith("${"), f"{name} commits a secret: {secret}"


def _manifests() -> dict[str, dict]:
    documents = yaml.safe_load_all((DEPLOY / "k8s" / "bento.yaml").read_text())
    return {doc["kind"]: doc for doc in documents}


def test_the_bento_manifests_probe_scrape_scale_and_read_the_token_from_a_secret() -> None:
    manifests = _manifests()
    assert set(manifests) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    deployment, service = manifests["Deployment"], manifests["Service"]
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (token,) = [e for e in container["env"] if e["name"] == "MNIST_API_TOKEN"]
    assert "secretKeyRef" in token["valueFrom"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert service["spec"]["selector"] == labels
    target = manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])


def test_helm_values_run_this_code_location_with_its_run_queue() -> None:
    values = yaml.safe_load((DEPLOY / "k8s" / "dagster-values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", MODULE]
    assert deployment["image"]["repository"].rsplit("/", 1)[1] == RECIPES["code"].name
    assert deployment["securityContext"]["runAsNonRoot"] is True
    coordinator = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert {"key": TRAINING_RUN_TAG, "limit": 1} in coordinator["tagConcurrencyLimits"]
    assert "postgresqlPassword" not in values["postgresql"]  # from a secret, never committed


def test_the_code_location_image_serves_this_module() -> None:
    containerfile = (DEPLOY / "images" / "code" / "Containerfile").read_text()
    assert f'"--module-name", "{MODULE}"' in containerfile
    assert "USER mnist" in containerfile and "HEALTHCHECK" in containerfile


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_image_runs_as_a_user_with_a_healthcheck_or_is_a_base(recipe: str) -> None:
    containerfile = (DEPLOY / "images" / RECIPES[recipe].folder / "Containerfile").read_text()
    assert re.search(r"^ARG (BASE|DEPS)=", containerfile, re.M)  # the MNIST_BASE_IMAGE rule
    if recipe != "code-deps":  # the code image's base: the code image runs
        assert re.search(r"^USER (?!root)\w+", containerfile, re.M), recipe
        assert "HEALTHCHECK" in containerfile, recipe


def test_the_compose_file_runs_the_images_the_project_builds() -> None:
    services = COMPOSE["services"]
    for service, recipe in (
        ("code-server", "code"),
        ("mlflow", "mlflow"),
        ("postgres", "postgres"),
        ("prometheus", "prometheus"),
    ):
        assert f"{RECIPES[recipe].name}:latest}}" in services[service]["image"], service


def test_the_compose_instance_launches_each_run_in_a_container_on_the_compose_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://mnist@postgres:5432/dagster")
    topology = ComposeTopology(tmp_path, "127.0.0.1", Ports(1, 2, 3, 4), Engine("podman"), ())
    topology._write_instance()
    config, _ = dagster_instance_config(str(tmp_path))
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    settings_ = launcher["config"]
    assert settings_["network"] == f"{topology.project}_default"
    assert settings_["container_kwargs"]["auto_remove"] is True
    assert settings_["container_kwargs"]["volumes"] == [f"{tmp_path / 'volumes' / 'data'}:/data"]
    assert {"key": TRAINING_RUN_TAG, "limit": 1} in config["concurrency"]["runs"][
        "tag_concurrency_limits"
    ]
    # What each run container gets from the daemon's environment: what the compose file sets.
    for name in settings_["env_vars"]:
        assert name in COMPOSE["x-dagster"]["environment"], name
    values = yaml.safe_load((DEPLOY / "k8s" / "dagster-values.yaml").read_text())
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert k8s["envVars"] == settings_["env_vars"]  # the same on Kubernetes


def test_compose_files_and_manifests_run_the_images_the_deploy_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MNIST_IMAGE_NAME", raising=False)
    name = settings().image_name
    for file, service in (("docker-compose.yml", "service"), ("docker-compose.prod.yml", "bento")):
        spec = yaml.safe_load((DEPLOY / file).read_text())["services"][service]
        assert spec["image"] == f"${{MNIST_IMAGE_NAME:-{name}}}:${{MNIST_SERVICE_TAG:-latest}}"
        assert spec["user"] == "bentoml" and spec["environment"] == ["MNIST_API_TOKEN"]
    (container,) = _manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["image"].rsplit("/", 1)[1].split(":")[0] == name
