"""The real local deploy on the bundled data: serve, monitor, swap, roll back, undeploy."""

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml
from mlflow.tracking import MlflowClient

from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME, SERVING_ALIAS
from mnist_assets.deploy.state import DeployState
from mnist_assets.monitoring.prometheus import Prometheus
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.api_schema import assert_schemathesis_finds_nothing
from mnist_assets_tests.integration.browser import chromium, panels_without_data
from mnist_assets_tests.integration.clients import Load, get_json, post_json, predict
from mnist_assets_tests.integration.conftest import own_deployment, run
from mnist_assets_tests.integration.processes import (
    any_process_mentions,
    predictions_counted,
    serve_and_stop,
)
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN, retrain_run
from mnist_assets_tests.integration.waiting import scraped_twice_since, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEPLOY_DIR = REPO_ROOT / "deploy"


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(
        (DEPLOY_DIR / "grafana" / "dashboards" / "mnist-service.json").read_text()
    )
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


def _alert_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((DEPLOY_DIR / "prometheus" / "alerts.yml").read_text())
    return [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]


def test_deploy_serves_monitors_swaps_rolls_back_and_undeploys(
    tmp_path: Path, cli_env: dict[str, str], splits
) -> None:
    port, prometheus_port = own_deployment(tmp_path, cli_env)
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(SHORT_RUN))
    deploy = ["mnist-assets", "deploy", "--run-config", str(config)]
    mlflow = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    prometheus = Prometheus(tmp_path / "run", "127.0.0.1", prometheus_port)
    try:
        output = run(deploy, REPO_ROOT, cli_env, timeout=600)
        _assert_reads_as_steps(output)
        # The smoke test the deploy workflow ends with, against this deployment.
        assert "smoke ok: model v1" in run(["bash", "deploy/smoke.sh", url], REPO_ROOT, cli_env)
        first = get_json(f"{url}/model/info")
        assert first["model_version"] == "1" and first["bento"].startswith("mnist_service:")
        assert f"bento       {first['bento']}" in output  # the summary says what serves
        for readme_url in _readme_urls(port, prometheus_port):
            with urllib.request.urlopen(readme_url, timeout=10) as response:
                assert response.status == 200, readme_url

        # Traffic: real digits one by one and in batches (enough for a drift score), one 400.
        pixels = splits.test.images.astype(np.float32) / 255.0
        ids = [predict(url, image)["id"] for image in pixels[:50]]
        # Their true labels come back: live accuracy, once, whichever worker takes each.
        for prediction_id, label in zip(ids, splits.test.labels[:50].tolist(), strict=True):
            assert post_json(f"{url}/feedback", {"id": prediction_id, "label": label}) == 200
        assert post_json(f"{url}/feedback", {"id": ids[0], "label": 1}) == 409
        # Enough for every worker (one per core) to fill its 1,024-image drift window.
        for start in range(0, 4096, 256):
            batch = pixels[np.arange(start, start + 256) % len(pixels)]
            assert post_json(f"{url}/predict/batch", {"images": batch.tolist()}) == 200
        assert post_json(f"{url}/predict", {"image": [[2.0] * 28] * 28}) == 400
        sent = time.time()
        wait_for(
            lambda: scraped_twice_since(prometheus, "mnist_predictions_total", sent),
            60,
            "two scrapes of the service after the traffic (every rate() needs two samples)",
        )

        assert prometheus.target_up()
        for title, expr in _panel_queries():
            assert prometheus.query(expr), f"panel {title!r} returned no data: {expr}"
        for _alert, expr in _alert_expressions():
            prometheus.query(expr)  # raises PrometheusError when the expression is invalid
        drift = prometheus.query("max(mnist_drift_score)")
        assert float(drift[0]["value"][1]) < 0.25  # ordinary test digits do not drift
        live = float(prometheus.query("max(mnist_live_accuracy)")[0]["value"][1])
        assert live >= 0.8 and prometheus.query('mnist_feedback_total{outcome="correct"}')
        # The dashboard that runs here: Prometheus' console page, every panel with data.
        assert f"dashboard   {prometheus.dashboard_url}" in output
        with chromium() as browser:
            assert panels_without_data(browser, prometheus.dashboard_url) == []

        # Another server on the project's BentoML home (a benchmark, a manual `bentoml serve`)
        # starts and stops: the live slot's metrics keep counting.
        serve_and_stop(first["bento"], cli_env)
        counted = predictions_counted(url)
        for image in pixels[:20]:
            assert post_json(f"{url}/predict", {"image": image.tolist()}) == 200
        assert predictions_counted(url) >= counted + 20

        # Users' inputs only with a credential: the deploy made one for its sensors (0600).
        token_file = tmp_path / "run" / "review-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        with pytest.raises(urllib.error.HTTPError, match="401"):
            get_json(f"{url}/inputs/recent")
        token = token_file.read_text().strip()
        assert get_json(f"{url}/inputs/recent", {"authorization": f"Bearer {token}"})["images"]

        # The API as clients reach it, through the gateway: schemathesis finds nothing.
        assert_schemathesis_finds_nothing(url, token)

        # Nothing changed: a second deploy retrains nothing and keeps the same bento.
        runs_before = len(mlflow.search_runs(mlflow.get_experiment_by_name("mnist").experiment_id))
        output = run(deploy, REPO_ROOT, cli_env, timeout=600)
        assert "  up to date: nothing to retrain" in output
        runs_after = len(mlflow.search_runs(mlflow.get_experiment_by_name("mnist").experiment_id))
        assert runs_after == runs_before
        assert get_json(f"{url}/model/info")["bento"] == first["bento"]

        # A new champion takes over under load without a failed request.
        retrain = retrain_run(seed=7)
        load = Load(url)
        load.start()
        materialize = ["dagster", "asset", "materialize", "-m", "mnist_assets.definitions"]
        run(
            [*materialize, "--select", "mnist_cnn*", "--config-json", json.dumps(retrain)],
            REPO_ROOT,
            cli_env,
            timeout=600,
        )
        swapped = load.sent
        wait_for(lambda: load.sent >= swapped + 50, 30, "50 requests after the swap")
        load.done.set()
        load.join()
        second = get_json(f"{url}/model/info")
        assert second["model_version"] == "2" and second["bento"] != first["bento"]
        assert load.sent > 100 and load.failed == []
        serving = mlflow.get_model_version_by_alias(REGISTERED_MODEL_NAME, SERVING_ALIAS)
        assert str(serving.version) == "2"  # the registry says what the gateway routes to

        # Rollback: the first bento serves again and holds the champion alias.
        output = run(["mnist-assets", "rollback"], REPO_ROOT, cli_env)
        assert get_json(f"{url}/model/info")["bento"] == first["bento"]
        for alias in (CHAMPION_ALIAS, SERVING_ALIAS):
            held = mlflow.get_model_version_by_alias(REGISTERED_MODEL_NAME, alias)
            assert str(held.version) == "1", alias
        assert mlflow.get_model_version(REGISTERED_MODEL_NAME, "2").tags["rolled_back"] == "true"
        status = run(["mnist-assets", "status"], REPO_ROOT, cli_env)
        assert f"serving      {first['bento']} (model v1" in status
    finally:
        run(["mnist-assets", "undeploy"], REPO_ROOT, cli_env)
    state = DeployState.load(tmp_path / "run" / "state.json")
    assert state.live is not None
    assert not list((tmp_path / "run").glob("*.pid"))
    for name in ("gateway", "prometheus", f"bento-{state.live.slot}"):
        assert not any_process_mentions(str(tmp_path / "run")), name
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/readyz", timeout=2)


def _assert_reads_as_steps(output: str) -> None:
    """One line per asset with its seconds and figure, one per epoch, a summary; no noise."""
    lines = output.splitlines()
    for asset, figure in (
        ("raw_mnist", "5,000 digits"),
        ("mnist_splits", "train / val / test: 3,962 / 503 / 535"),
        ("mnist_cnn", "val accuracy"),
        ("validation_report", "test accuracy"),
        ("optimized_model", "serves onnxruntime"),
        ("mnist_service", "live in slot blue (model v1)"),
    ):
        assert any(line.startswith(f"  {asset} ") and figure in line for line in lines), asset
    assert "    epoch 1/4: loss " in output and "    epoch 4/4: loss " in output
    assert "    check no_regression passed" in output
    assert "smoke prediction" in output and "blank image -> digit" in output
    assert "mnist-assets is live" in output
    for noise in ("Warning", "INFO", "Downloading artifacts", "%|"):
        assert noise not in output, noise


def _readme_urls(port: int, prometheus_port: int) -> list[str]:
    """Every service and Prometheus URL the README names for a GET, on this deployment's ports."""
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    pattern = r"http://127\.0\.0\.1:(?:8000|9090)[^\s)`'\"|]*"
    urls = sorted({u for line in lines if "POST" not in line for u in re.findall(pattern, line)})
    assert len(urls) >= 4, urls
    return [
        u.replace(":8000", f":{port}").replace(":9090", f":{prometheus_port}").rstrip(".,")
        for u in urls
    ]
