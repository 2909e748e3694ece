"""The Docker path and monitoring files, checked without a Docker engine."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mnist_assets import env
from mnist_assets.env import config_defaults
from mnist_assets.monitoring.dashboards import CONSOLE_FILE, GRAFANA_FILE, generated
from mnist_assets.monitoring.panels import PANELS
from mnist_assets.settings import settings
from mnist_assets_tests import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package (make deploy installs it)"
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)


def test_the_alert_rules_fire_when_they_should_and_only_then() -> None:
    # deploy/prometheus/alerts_test.yml: e.g. MnistMetricsMissing fires for a target that is up
    # without its mnist_* series, and stays quiet while they are there.
    done = _promtool("test", "rules", str(DEPLOY / "prometheus" / "alerts_test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_prometheus_config_and_rules_pass_promtool() -> None:
    config = DEPLOY / "prometheus" / "prometheus.yml"
    done = _promtool("check", "config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS['groups'][0]['rules'])} rules found" in done.stdout


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
                assert path.exists() or path == REPO_ROOT / "mlruns", volume


def test_ports_match_the_local_deploy() -> None:
    ports = {name: spec["ports"][0] for name, spec in COMPOSE["services"].items()}
    # The host ports are the local deploy's settings, with mnist_assets.env's defaults.
    host = "${MNIST_BIND_HOST:-127.0.0.1}"
    expected = {
        "service": ("MNIST_SERVICE_PORT", settings().service_port, 3000),
        "prometheus": ("MNIST_PROMETHEUS_PORT", settings().prometheus_port, 9090),
        "grafana": ("MNIST_GRAFANA_PORT", settings().grafana_port, 3000),
        "mlflow": ("MNIST_MLFLOW_PORT", settings().mlflow_port, 5000),
    }
    assert ports == {
        name: f"{host}:${{{variable}:-{default}}}:{inside}"
        for name, (variable, default, inside) in expected.items()
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


def test_the_drift_alert_fires_where_the_drift_sensor_acts() -> None:
    drift = config_defaults("monitoring")["drift"]
    (rule,) = [r for r in ALERTS["groups"][0]["rules"] if r["alert"] == "MnistInputDrift"]
    assert rule["expr"].endswith(f"> {drift['threshold']}")
    assert rule["for"] == f"{drift['sustained_minutes']}m"


def test_the_live_accuracy_alert_fires_where_the_feedback_settings_say() -> None:
    feedback = config_defaults("monitoring")["feedback"]
    (rule,) = [r for r in ALERTS["groups"][0]["rules"] if r["alert"] == "MnistLiveAccuracyLow"]
    assert (
        f'< max(mnist_model_test_accuracy{{job="mnist_service"}}) - {feedback["margin"]} '
        in (rule["expr"])
    )
    assert rule["expr"].endswith(f">= {feedback['min_labels']}")


def test_the_dashboard_and_the_console_page_are_generated_from_the_panel_list() -> None:
    for path, text in generated().items():
        assert path.read_text() == text, (
            f"{path} is stale: run `python -m mnist_assets.monitoring.dashboards`"
        )
    page = CONSOLE_FILE.read_text()
    dashboard = json.loads(GRAFANA_FILE.read_text())
    for panel in PANELS:  # every panel, with every query, on both
        grafana = next(p for p in dashboard["panels"] if p["title"] == panel.title)
        assert [t["expr"] for t in grafana["targets"]] == [q.expr for q in panel.queries]
        assert f'data-panel="{panel.title}"' in page
        assert all(json.dumps(q.expr) in page for q in panel.queries)


def test_monitoring_settings_take_a_file_of_the_same_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = config_defaults("monitoring")
    assert env.monitoring_settings() == defaults
    override = tmp_path / "monitoring.yaml"
    override.write_text(yaml.safe_dump({"drift": {"sustained_minutes": 0.5}}))
    monkeypatch.setenv("MNIST_MONITORING_CONFIG", str(override))
    settings = env.monitoring_settings()
    assert settings["drift"] == {**defaults["drift"], "sustained_minutes": 0.5}
    assert settings["review"] == defaults["review"]
    override.write_text(yaml.safe_dump({"drift": {"sustain_minutes": 1}}))  # a typo
    with pytest.raises(ValueError, match=r"drift\.sustain_minutes is no setting"):
        env.monitoring_settings()
    override.write_text(yaml.safe_dump({"alerts": {"x": 1}}))  # no such section
    with pytest.raises(ValueError, match=r"alerts is no section of monitoring\.yaml \(drift, "):
        env.monitoring_settings()
