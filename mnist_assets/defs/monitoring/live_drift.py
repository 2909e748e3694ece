"""Live drift: traffic that stays unlike the champion's reference.

The sensor saves a sample of it for labelling, and retrains once labelled data has arrived.
"""

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.defs.automation.jobs import retraining_job
from mnist_assets.defs.automation.repeat_rule import no_new_labels
from mnist_assets.defs.serving.deployment import SERVICE_ASSET
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.env import automation_run_config, config_defaults, monitoring_settings, state_path
from mnist_assets.ml.monitoring.drift import drift_score
from mnist_assets.monitoring.drift_watch import Decision, DriftPolicy, DriftState, decide
from mnist_assets.monitoring.live_accuracy import live_accuracy
from mnist_assets.monitoring.prometheus import PrometheusApi, PrometheusError
from mnist_assets.monitoring.traffic import (
    TrafficCounts,
    TrafficUnavailable,
    from_prometheus,
    from_service,
)
from mnist_assets.review.episode import EpisodeRecord
from mnist_assets.review.sample import ReviewSample, ReviewUnavailable, save_review_sample
from mnist_assets.settings import settings

_DRIFT = monitoring_settings()["drift"]
_REVIEW = monitoring_settings()["review"]
_INTERVAL = config_defaults("automation")["sensors"]["drift_interval_seconds"]


class DriftWatch(dg.ConfigurableResource):
    """Where live traffic is read and when drift in it calls for retraining."""

    prometheus_url: str
    service_url: str
    window_minutes: int = _DRIFT["window_minutes"]
    threshold: float = _DRIFT["threshold"]
    sustained_minutes: float = _DRIFT["sustained_minutes"]
    cooldown_minutes: float = _DRIFT["cooldown_minutes"]
    min_images: int = _DRIFT["min_images"]
    review_sample_size: int = _REVIEW["sample_size"]
    review_dir: str | None = None  # default: <data root>/review (monitoring.yaml, review.folder)

    @classmethod
    def from_environment(cls) -> "DriftWatch":
        return cls(prometheus_url=settings().prometheus_url, service_url=settings().service_url)

    def policy(self) -> DriftPolicy:
        return DriftPolicy(
            threshold=self.threshold,
            sustained_seconds=self.sustained_minutes * 60,
            cooldown_seconds=self.cooldown_minutes * 60,
            min_images=self.min_images,
        )

    def review_root(self) -> Path:
        """Where drift episodes are saved."""
        if self.review_dir:
            return state_path(self.review_dir)
        return settings().data_root / _REVIEW["folder"]

    def save_review(self, episode: str, record: EpisodeRecord) -> ReviewSample:
        """Save a sample of the service's recent inputs under ``<review dir>/<episode>``."""
        folder = self.review_root() / episode
        return save_review_sample(self.service_url, folder, self.review_sample_size, record)

    def live_accuracy(self) -> tuple[float | None, int | None]:
        """Live accuracy from Prometheus, and how many labels it is over (Nones when unknown)."""
        return live_accuracy(PrometheusApi(self.prometheus_url))

    def read(
        self, snapshot: dict[str, Any] | None
    ) -> tuple[TrafficCounts, str, dict[str, Any] | None]:
        """The window's traffic, where it came from, and the counters to diff against next time.

        Prometheus first; while it is down, the service's own counters since the last reading.
        """
        try:
            api = PrometheusApi(self.prometheus_url)
            window = f"Prometheus, last {self.window_minutes} min"
            return from_prometheus(api, self.window_minutes), window, snapshot
        except PrometheusError as down:
            try:
                totals = from_service(self.service_url)
            except TrafficUnavailable as also_down:
                raise TrafficUnavailable(f"{down}; {also_down}") from also_down
        earlier = TrafficCounts.from_json(snapshot) if snapshot else None
        return totals.since(earlier), "service /metrics since last evaluation", totals.to_json()


@dg.sensor(
    job=retraining_job,
    minimum_interval_seconds=_INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Scores live traffic against the champion's drift reference; on sustained drift saves "
        "a sample for labelling, and retrains once labelled data has arrived"
    ),
)
def live_drift_sensor(
    context: dg.SensorEvaluationContext, drift_watch: DriftWatch, model_registry: ModelRegistry
) -> dg.SensorResult | dg.SkipReason:
    """One evaluation: read the window, score it, and retrain if the policy says so."""
    state = DriftState.from_cursor(context.cursor)
    try:
        traffic, source, snapshot = drift_watch.read(state.snapshot)
    except TrafficUnavailable as exc:
        return dg.SkipReason(f"cannot read live traffic: {exc}")
    reference = model_registry.champion_drift_reference()
    if reference is None:
        return dg.SkipReason("no champion yet: nothing to compare live traffic with")
    score = drift_score(reference, traffic.statistics()) if traffic.images else None
    now = time.time()
    state = replace(state, snapshot=snapshot)
    decision = decide(drift_watch.policy(), state, score, traffic.images, now)
    message = f"{decision.reason} ({source})"
    context.log.info(message)
    cursor = decision.state.to_cursor()
    if not decision.retrain or score is None:
        return dg.SensorResult(skip_reason=message, cursor=cursor)
    # Sustained drift: an episode. Its inputs go to review; labels, not the same data again,
    # are what a retrain needs.
    episode = time.strftime("drift-%Y%m%dT%H%M%SZ", time.gmtime(now))
    accuracy, labels = drift_watch.live_accuracy()
    record = EpisodeRecord(now, score, drift_watch.threshold, source, accuracy, labels)
    saved, observation = _review(context, drift_watch, episode, decision, record)
    if why := no_new_labels(context.instance, model_registry):
        skip = f"drift without new labels ({decision.reason}): {saved}; {why}"
        context.log.warning(skip)
        return dg.SensorResult(skip_reason=skip, cursor=cursor, asset_events=[observation])
    request = dg.RunRequest(
        run_key=f"drift-{int(now)}",
        run_config=automation_run_config(),
        tags={
            TRAINING_RUN_TAG: "drift",
            "mnist/drift_score": f"{score:.4f}",
            "mnist/retrain_reason": decision.reason,
            "mnist/drift_episode": episode,
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor, asset_events=[observation])


def _review(
    context: dg.SensorEvaluationContext,
    watch: DriftWatch,
    episode: str,
    decision: Decision,
    record: EpisodeRecord,
) -> tuple[str, dg.AssetObservation]:
    """Save the episode's sample; what was saved, in words, and the episode as an observation."""
    metadata: dict[str, Any] = {
        "drift_episode": episode,
        "drift_score": dg.MetadataValue.float(float(record.drift_score or 0.0)),
        "threshold": dg.MetadataValue.float(watch.threshold),
        "window": record.window,
        "decision": decision.reason,
    }
    if record.live_accuracy is not None:
        metadata["live_accuracy"] = dg.MetadataValue.float(record.live_accuracy)
        metadata["live_accuracy_labels"] = dg.MetadataValue.int(record.live_labels or 0)
    try:
        sample = watch.save_review(episode, record)
    except (ReviewUnavailable, OSError) as exc:
        saved = f"no inputs saved for labelling ({exc})"
        context.log.warning(saved)
        metadata["review_sample"] = saved
    else:
        saved = f"{sample.saved} inputs saved for labelling in {sample.folder / 'unlabelled'}"
        metadata["review_sample"] = dg.MetadataValue.path(str(sample.folder / "unlabelled"))
        metadata["inputs_saved"] = dg.MetadataValue.int(sample.saved)
        metadata["inputs_kept_by_service"] = dg.MetadataValue.int(sample.kept)
        context.log.info(saved)
    return saved, dg.AssetObservation(asset_key=SERVICE_ASSET, metadata=metadata)
