"""The live-drift sensor over its scenarios, reading a real /metrics endpoint and registry."""

import contextlib
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from PIL import Image

from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME, TRAINING_RUN_TAG
from mnist_assets.defs.monitoring.live_drift import DriftWatch, live_drift_sensor
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.ml.evaluation.validation import DRIFT_REFERENCE_FILE
from mnist_assets.ml.monitoring.drift import BatchStatistics
from mnist_assets.monitoring.drift_watch import DriftState
from mnist_assets.review.episode import Episode
from mnist_assets_tests.traffic_exporter import TrafficExporter, serving_traffic

DOWN = "http://127.0.0.1:9"  # nothing listens on the discard port
RNG = np.random.default_rng(0)


def _confidences(count: int) -> np.ndarray:
    return RNG.beta(8, 1, count)  # mostly confident, like a trained model's


@pytest.fixture(scope="module")
def registry(splits: MnistSplits, tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    """A registry whose champion's drift reference describes the training digits."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("mnist", artifact_location=str(root / "artifacts"))
    run = client.create_run(experiment, tags={"data_version": "splits-v1"})
    reference = BatchStatistics.from_images(
        splits.train.images / 255.0, splits.train.labels, _confidences(len(splits.train))
    )
    (root / "validation").mkdir()
    reference.save(root / "validation" / DRIFT_REFERENCE_FILE)
    client.log_artifacts(run.info.run_id, str(root / "validation"), "validation")
    client.create_registered_model(REGISTERED_MODEL_NAME)
    version = client.create_model_version(
        REGISTERED_MODEL_NAME, f"runs:/{run.info.run_id}/model", run.info.run_id
    )
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, version.version)
    return ModelRegistry(tracking_uri=uri)


def evaluate_drift(
    watch: DriftWatch,
    registry: ModelRegistry,
    cursor: str | None = None,
    instance: dg.DagsterInstance | None = None,
):
    """One tick of the live-drift sensor; without ``instance``, one that trained nothing yet."""
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(dg.instance_for_test())
        resources = {"drift_watch": watch, "model_registry": registry}
        context = stack.enter_context(
            dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources)
        )
        return live_drift_sensor.evaluate_tick(context)


def _tick(registry: ModelRegistry, service: str, cursor: str | None = None, **settings):
    watch = DriftWatch(prometheus_url=DOWN, service_url=service, **settings)
    return evaluate_drift(watch, registry, cursor)


def _ordinary(exporter: TrafficExporter, splits: MnistSplits) -> None:
    exporter.observe(splits.test.images / 255.0, splits.test.labels, _confidences(len(splits.test)))


def _inverted(exporter: TrafficExporter, splits: MnistSplits) -> None:
    exporter.observe(
        1.0 - splits.test.images / 255.0, splits.test.labels, _confidences(len(splits.test))
    )


def _judge(registry: ModelRegistry, splits: MnistSplits, send, **settings):
    """One tick over a fresh /metrics endpoint that has served what ``send`` sends."""
    with serving_traffic() as (exporter, url):
        send(exporter, splits)
        return _tick(registry, url, **settings)


def test_prometheus_and_service_down_skips_with_both_reasons(registry: ModelRegistry) -> None:
    result = _tick(registry, DOWN)
    assert not result.run_requests
    assert "cannot read live traffic: Prometheus at http://127.0.0.1:9 is unreachable" in (
        result.skip_message
    )
    assert "the service's metrics at http://127.0.0.1:9 are unreachable" in result.skip_message


def test_ordinary_digits_stay_within_the_threshold(
    registry: ModelRegistry, splits: MnistSplits
) -> None:
    result = _judge(registry, splits, _ordinary, min_images=100, sustained_minutes=0)
    assert not result.run_requests
    assert "is within the threshold 0.25 (service /metrics since last evaluation)" in (
        result.skip_message
    )
    state = DriftState.from_cursor(result.cursor)
    assert state.last_score is not None and state.last_score < 0.1
    assert state.snapshot is not None  # the next tick scores only what comes after


def test_too_little_traffic_is_not_judged(registry: ModelRegistry, splits: MnistSplits) -> None:
    result = _judge(registry, splits, _inverted, min_images=1000)
    assert not result.run_requests
    assert "too little traffic to judge: 535 images, need 1000" in result.skip_message


def test_sustained_drift_with_new_labels_requests_a_retraining_run_tagged_with_its_score(
    registry: ModelRegistry, splits: MnistSplits, tmp_path: Path
) -> None:
    # This instance has materialised no splits since the champion's: labels may have arrived.
    settings = {"min_images": 100, "sustained_minutes": 0, "review_dir": str(tmp_path)}
    with serving_traffic() as (exporter, url):
        _inverted(exporter, splits)
        first = _tick(registry, url, **settings)
        (request,) = first.run_requests
        assert request.tags[TRAINING_RUN_TAG] == "drift"
        assert float(request.tags["mnist/drift_score"]) > 1.0
        assert "above 0.25" in request.tags["mnist/retrain_reason"]
        assert (tmp_path / request.tags["mnist/drift_episode"] / "unlabelled").is_dir()

        # More inverted traffic right after: still drifting, but inside the cool-down.
        _inverted(exporter, splits)
        second = _tick(registry, url, first.cursor, **settings)
    assert not second.run_requests
    assert "but in cool-down until" in second.skip_message
    assert len(list(tmp_path.iterdir())) == 1  # one episode, one sample


def test_drift_without_new_labels_saves_a_sample_for_labelling_and_trains_nothing(
    registry: ModelRegistry, splits: MnistSplits, tmp_path: Path
) -> None:
    watch_settings = {"min_images": 100, "sustained_minutes": 0, "review_sample_size": 300}
    with dg.instance_for_test() as instance, serving_traffic() as (exporter, url):
        # The latest splits are the ones the champion trained on.
        splits_event = dg.AssetMaterialization(
            "mnist_splits", tags={"dagster/data_version": "splits-v1"}
        )
        instance.report_runless_asset_event(splits_event)
        _inverted(exporter, splits)
        # Five of the inverted digits came back labelled through POST /feedback.
        feedback = 255 - splits.test.images[:5]
        exporter.label(feedback, splits.test.labels[:5], np.zeros(5, dtype=int))
        watch = DriftWatch(
            prometheus_url=DOWN, service_url=url, review_dir=str(tmp_path), **watch_settings
        )
        result = evaluate_drift(watch, registry, instance=instance)
    assert not result.run_requests
    (episode,) = tmp_path.iterdir()
    saved = sorted((episode / "unlabelled").glob("*.png"))
    assert result.skip_message.startswith("drift without new labels (drift ")
    assert f"305 inputs saved for labelling in {episode / 'unlabelled'}" in result.skip_message
    assert "champion v1 was trained on the current splits" in result.skip_message
    # The PNGs are the drifted inputs themselves, as bytes, loadable as a batch once labelled:
    # the five labelled through feedback first, with their labels proposed, then 300 of the
    # traffic (the labelled five not again), each with the model's guess.
    inverted = {(255 - image).tobytes() for image in splits.test.images}
    pixels = [np.asarray(Image.open(png)).tobytes() for png in saved]
    assert len(saved) == 305 and len(set(pixels)) == 305
    assert set(pixels) <= inverted
    record = Episode(episode).record()
    assert [i.feedback for i in record.inputs[:5]] == splits.test.labels[:5].tolist()
    assert pixels[:5] == [image.tobytes() for image in feedback]
    assert all(i.feedback is None and i.guess is not None for i in record.inputs[5:])
    assert record.drift_score == observation_score(result) and record.live_accuracy is None
    # The episode is recorded on the service's asset.
    (observation,) = result.asset_events
    assert observation.asset_key == dg.AssetKey("mnist_service")
    assert observation.metadata["drift_episode"].value == episode.name
    assert observation.metadata["inputs_saved"].value == 305
    assert observation.metadata["drift_score"].value > 1.0


def observation_score(result: dg.SensorResult) -> float:
    (observation,) = result.asset_events
    return observation.metadata["drift_score"].value


def test_drift_must_last_before_anything_is_requested(
    registry: ModelRegistry, splits: MnistSplits
) -> None:
    result = _judge(registry, splits, _inverted, min_images=100, sustained_minutes=15)
    assert not result.run_requests
    assert "for 0.0 of the 15 minutes needed" in result.skip_message
    assert DriftState.from_cursor(result.cursor).above_since == pytest.approx(time.time(), abs=60)


def test_no_champion_no_judgement(tmp_path: Path, splits: MnistSplits) -> None:
    empty = ModelRegistry(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = _judge(empty, splits, _ordinary)
    assert "no champion yet" in result.skip_message
