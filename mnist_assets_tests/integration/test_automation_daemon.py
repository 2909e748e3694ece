"""The automation with the real Dagster daemon: drift leads to a sample for labelling, the
labelled sample retrains and redeploys by itself, and runs queue one at a time."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import yaml
from mlflow.tracking import MlflowClient
from PIL import Image

from mnist_assets.constants import METRIC_PREDICTIONS, REGISTERED_MODEL_NAME, TRAINING_RUN_TAG
from mnist_assets.defs.monitoring.live_drift import DriftWatch
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.monitoring.prometheus import Prometheus
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.browser import chromium, label_and_send, review_page
from mnist_assets_tests.integration.clients import get_json, post_batch, post_json
from mnist_assets_tests.integration.conftest import own_deployment, run
from mnist_assets_tests.integration.daemon_runs import (
    dagster_daemon,
    finished_runs,
    finished_sensor_run,
    launch,
    wait_for_model,
)
from mnist_assets_tests.integration.test_whole_graph import SHORT_RUN
from mnist_assets_tests.integration.waiting import scraped_twice_since, wait_for
from mnist_assets_tests.test_monitoring.test_drift_sensor import evaluate_drift

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Short training; the gate as configured.
AUTOMATION_RUN = SHORT_RUN
# The drift watch of configs/monitoring.yaml, acting sooner: drift must last half a minute (two
# ticks of the sensor) over at least 200 images.
MONITORING = {"drift": {"sustained_minutes": 0.5, "min_images": 200}}


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Free ports, throwaway stores, and tiny runs for whatever automation launches."""
    config = tmp_path / "automation.json"
    config.write_text(json.dumps(AUTOMATION_RUN))
    monitoring = tmp_path / "monitoring.yaml"
    monitoring.write_text(yaml.safe_dump(MONITORING))
    own_deployment(tmp_path, cli_env)
    cli_env.update(
        MNIST_AUTOMATION_RUN_CONFIG=str(config),
        MNIST_MONITORING_CONFIG=str(monitoring),
    )
    return cli_env


@pytest.fixture
def deployed(env: dict[str, str]) -> Iterator[str]:
    """`mnist-assets deploy` on tiny runs; yields the service URL, undeploys after."""
    config = env["MNIST_AUTOMATION_RUN_CONFIG"]
    try:
        run(["mnist-assets", "deploy", "--run-config", config], REPO_ROOT, env, 600)
        yield f"http://127.0.0.1:{env['MNIST_SERVICE_PORT']}"
    finally:
        run(["mnist-assets", "undeploy"], REPO_ROOT, env)


@pytest.fixture
def daemon(env: dict[str, str], deployed: str, tmp_path: Path) -> Iterator[Path]:
    """`dagster-daemon run` on the project's workspace and instance; yields its log file."""
    with dagster_daemon(env, tmp_path / "daemon.log") as log:
        yield log


def test_drift_saves_inputs_for_labelling_and_their_labels_retrain_the_served_model(
    env: dict[str, str],
    deployed: str,
    daemon: Path,
    dagster_home: Path,
    splits: MnistSplits,
) -> None:
    first = get_json(f"{deployed}/model/info")
    assert first["model_version"] == "1"

    # Inverted digits, each sent once: the daemon's drift sensor (Prometheus, the settings of
    # MONITORING) sees drift last, saves the inputs for review, and retrains nothing.
    # 450 of them: with the deploy's blank smoke image, within the sample's 500.
    digits, labels = splits.test.images[:450], splits.test.labels[:450]
    truth = {(255 - im).tobytes(): int(digit) for im, digit in zip(digits, labels, strict=True)}
    inverted = 1.0 - digits.astype(np.float32) / 255.0
    answers = [
        p for b in np.array_split(inverted, 5) for p in post_batch(f"{deployed}/predict/batch", b)
    ]
    for answer, label in zip(answers[:5], labels[:5].tolist(), strict=True):  # their truth
        assert post_json(f"{deployed}/feedback", {"id": answer["id"], "label": label}) == 200
    episode = _review_episode(dagster_home, timeout=300, log=daemon)
    sample = Path(episode["review_sample"].value)
    saved = {_pixels(png): png for png in sample.glob("*.png")}
    assert episode["inputs_saved"].value == len(saved)
    assert set(truth) <= set(saved)  # and the deploy's blank smoke image
    assert episode["drift_score"].value > 0.25
    assert 0.0 <= episode["live_accuracy"].value <= 1.0  # the five labels, as Prometheus had them
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert not instance.get_runs(dg.RunsFilter(tags={TRAINING_RUN_TAG: "drift"}))
    assert "drift without new labels" in daemon.read_text()

    # A person labels in the browser, by keyboard alone: Enter confirms the five the feedback
    # labelled (shown first), then the true digit of each of the next 30; Ctrl+Enter sends.
    def key(file: str) -> str:  # the true digit of each inverted input; x for the blank one
        digit = truth.get(_pixels(sample / file))
        return "x" if digit is None else str(digit)

    with review_page(env) as page_url, chromium() as browser:
        done = label_and_send(browser, f"{page_url}/episodes/{sample.parent.name}", key, 30)
    assert done.confirmed == 5  # the five feedback labelled, shown first
    print(f"labelled {done.typed} inputs by keyboard in {done.seconds:.2f} s")
    labelled = json.loads((sample.parent / "labels.json").read_text())
    assert len(labelled) == done.typed + done.confirmed
    for file, label in labelled.items():
        assert label == truth.get(_pixels(sample / file), "x"), file

    second = wait_for_model(deployed, "2", timeout=480, log=daemon)
    assert second["bento"] != first["bento"]
    assert not list((Path(env["MNIST_DATA_ROOT"]) / "incoming").iterdir())
    run = finished_sensor_run(dagster_home, "new_data_sensor")
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[TRAINING_RUN_TAG] == "new_data"
    assert done.run_link is not None and done.run_link.endswith(f"/runs/{run.run_id}")
    mlflow = MlflowClient(f"sqlite:///{env['MNIST_MLFLOW_ROOT']}/mlflow.db")
    version = mlflow.get_model_version(REGISTERED_MODEL_NAME, "2")
    assert version.run_id is not None
    assert mlflow.get_run(version.run_id).data.params  # a real training run behind it


def _pixels(png: Path) -> bytes:
    return np.asarray(Image.open(png)).tobytes()


def _review_episode(dagster_home: Path, timeout: float, log: Path) -> dict:
    """The metadata of the first drift episode recorded on mnist_service."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while time.monotonic() < deadline:
            records = instance.fetch_observations(dg.AssetKey("mnist_service"), limit=1).records
            if records:
                observation = records[0].asset_observation
                assert observation is not None
                return dict(observation.metadata)
            time.sleep(5)
    pytest.fail(f"no drift episode recorded; daemon log:\n{log.read_text()[-5000:]}")


def test_the_drift_sensor_fires_on_inverted_digits_read_from_prometheus(
    env: dict[str, str],
    deployed: str,
    splits: MnistSplits,
    dagster_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    registry = ModelRegistry(tracking_uri=f"sqlite:///{env['MNIST_MLFLOW_ROOT']}/mlflow.db")
    watch = DriftWatch(
        prometheus_url=f"http://127.0.0.1:{env['MNIST_PROMETHEUS_PORT']}",
        service_url=deployed,
        min_images=200,
        sustained_minutes=0,
        review_dir=str(tmp_path / "review"),
    )

    prometheus = Prometheus(tmp_path, "127.0.0.1", int(env["MNIST_PROMETHEUS_PORT"]))

    def send(pixels: np.ndarray) -> None:
        for batch in np.array_split(pixels, -(-len(pixels) // 100)):  # 100 images a request
            assert post_json(f"{deployed}/predict/batch", {"images": batch.tolist()}) == 200
        sent = time.time()
        wait_for(
            lambda: scraped_twice_since(prometheus, METRIC_PREDICTIONS, sent),
            60,
            "two scrapes after the traffic (increase() needs two samples)",
        )

    digits = splits.test.images.astype(np.float32) / 255.0
    send(digits)
    ordinary = evaluate_drift(watch, registry)
    assert not ordinary.run_requests
    assert "is within the threshold" in ordinary.skip_message
    assert "(Prometheus, last 10 min)" in ordinary.skip_message

    send(1.0 - digits)
    (request,) = evaluate_drift(watch, registry, ordinary.cursor).run_requests
    assert request.tags[TRAINING_RUN_TAG] == "drift"
    assert float(request.tags["mnist/drift_score"]) > 0.25

    # Read against the deploy's instance, the champion trained on these very splits with the
    # automation's configuration: drift without new labels requests no retraining.
    monkeypatch.setenv("MNIST_AUTOMATION_RUN_CONFIG", env["MNIST_AUTOMATION_RUN_CONFIG"])
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        repeated = evaluate_drift(watch, registry, ordinary.cursor, instance)
    assert not repeated.run_requests
    assert "drift without new labels" in repeated.skip_message
    assert "trained on the current splits" in repeated.skip_message


def test_training_runs_queue_one_at_a_time_and_a_worse_candidate_is_blocked(
    env: dict[str, str], deployed: str, daemon: Path, dagster_home: Path
) -> None:
    # Two runs requested together: the queue (dagster.yaml, one mnist/training run at a time)
    # starts the second only once the first has ended.
    for reason in ("first", "second"):
        launch(env, AUTOMATION_RUN, reason)
    (first, first_stats), (second, second_stats) = finished_runs(dagster_home, 2, 600, daemon)
    assert first.status == second.status == dg.DagsterRunStatus.SUCCESS
    assert first_stats.end_time <= second_stats.start_time
    champion = get_json(f"{deployed}/model/info")

    # One epoch at a tenth of the learning rate: a worse candidate. The gate blocks it; the
    # champion keeps serving.
    worse = json.loads(json.dumps(AUTOMATION_RUN))
    worse["ops"]["mnist_cnn"]["config"]["training"].update(epochs=1, learning_rate=0.001)
    launch(env, worse, "worse")
    *_, (blocked, _) = finished_runs(dagster_home, 3, 600, daemon)
    assert blocked.status == dg.DagsterRunStatus.FAILURE
    assert get_json(f"{deployed}/model/info") == champion
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        checks = [
            record.event_log_entry.dagster_event.event_specific_data
            for record in instance.get_records_for_run(blocked.run_id).records
            if record.event_log_entry.dagster_event
            and record.event_log_entry.dagster_event.event_type
            == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
    failed = {c.check_name: c.description for c in checks if not c.passed}
    assert failed, "the gate let a one-epoch candidate through"
    assert set(failed) <= {"accuracy_threshold", "class_recall_floor", "no_regression"}
