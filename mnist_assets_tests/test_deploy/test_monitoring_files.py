"""The Docker path and monitoring files, checked without a Docker engine."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mnist_assets.env import PROJECT_ROOT, config_defaults

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package (make deploy installs it)"
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)


def test_prometheus_config_and_rules_pass_promtool() -> None:
    config = DEPLOY / "prometheus" / "prometheus.yml"
    done = _promtool("check", "config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_every_container_runs_as_non_root_on_loopback(service: str) -> None:
    spec = COMPOSE["services"][service]
    assert spec.get("user") not in (None, "root", "0", "0:0"), service
    for port in spec.get("ports", []):
        assert port.startswith("${MNIST_BIND_HOST:-127.0.0.1}:"), port
    assert "healthcheck" in spec, service


def test_compose_mounts_only_files_that_exist() -> None:
    for spec in COMPOSE["services"].values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                path = (DEPLOY / source).resolve()
                assert path.exists() or path == PROJECT_ROOT / "mlruns", volume


def test_ports_match_the_local_deploy() -> None:
    ports = {name: spec["ports"][0].split(":", 2)[-1] for name, spec in COMPOSE["services"].items()}
    # Grafana on 3001 so it does not collide with the Dagster UI on 3000.
    assert ports == {
        "service": "8000:3000",
        "prometheus": "9090:9090",
        "grafana": "3001:3000",
        "mlflow": "5000:5000",
    }
    targets = json.loads((DEPLOY / "prometheus" / "targets" / "service.json").read_text())
    assert targets[0]["targets"] == ["service:3000"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_use_the_provisioned_datasource(path: Path) -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uid = provisioned["datasources"][0]["uid"]
    dashboard = json.loads(path.read_text())
    titles = [panel["title"] for panel in dashboard["panels"]]
    for wanted in ("Request rate", "Error", "latency", "digit", "Confidence", "Drift"):
        assert any(wanted.lower() in title.lower() for title in titles), wanted
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


def test_alert_thresholds_follow_the_monitoring_config() -> None:
    monitoring = config_defaults("monitoring")
    rules = {rule["alert"]: rule["expr"] for rule in ALERTS["groups"][0]["rules"]}
    assert rules["MnistInputDrift"].endswith(f"> {monitoring['drift']['threshold']}")
    assert rules["MnistSlowPredictions"].endswith(f"> {monitoring['latency']['p99_seconds']}")
    assert rules["MnistServerErrors"].endswith(
        f"> {monitoring['errors']['max_server_error_share']}"
    )
    assert rules["MnistLowConfidence"].endswith(
        f"> {monitoring['confidence']['max_below_threshold_share']}"
    )
