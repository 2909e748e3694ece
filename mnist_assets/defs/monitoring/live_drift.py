"""Live drift: retrain when the service's traffic stays unlike the champion's reference."""

import time
from dataclasses import replace
from typing import Any

import dagster as dg

from mnist_assets.constants import TRAINING_RUN_TAG
from mnist_assets.defs.automation.jobs import retraining_job
from mnist_assets.defs.automation.repeat_rule import repeats_the_champion
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.env import automation_run_config, config_defaults, prometheus_url, service_url
from mnist_assets.ml.drift import drift_score
from mnist_assets.monitoring.drift_watch import DriftPolicy, DriftState, decide
from mnist_assets.monitoring.prometheus import PrometheusApi, PrometheusError
from mnist_assets.monitoring.traffic import (
    TrafficCounts,
    TrafficUnavailable,
    from_prometheus,
    from_service,
)

_DRIFT = config_defaults("monitoring")["drift"]
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

    @classmethod
    def from_environment(cls) -> "DriftWatch":
        return cls(prometheus_url=prometheus_url(), service_url=service_url())

    def policy(self) -> DriftPolicy:
        return DriftPolicy(
            threshold=self.threshold,
            sustained_seconds=self.sustained_minutes * 60,
            cooldown_seconds=self.cooldown_minutes * 60,
            min_images=self.min_images,
        )

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
    description="Scores live traffic against the champion's drift reference; retrains on drift",
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
    run_config = automation_run_config()
    if repeated := repeats_the_champion(context.instance, model_registry, run_config):
        # Drift with no new labelled data: the same training again cannot fix it.
        skip = f"drift without new labels ({decision.reason}): {repeated}"
        context.log.warning(skip)
        return dg.SensorResult(skip_reason=skip, cursor=cursor)
    request = dg.RunRequest(
        run_key=f"drift-{int(now)}",
        run_config=run_config,
        tags={
            TRAINING_RUN_TAG: "drift",
            "mnist/drift_score": f"{score:.4f}",
            "mnist/retrain_reason": decision.reason,
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)
