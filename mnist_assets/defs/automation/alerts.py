"""Failed runs raise an alert: an error in the Dagster log, and a webhook call when configured."""

import json
import urllib.request

import dagster as dg

from mnist_assets.settings import settings, variable


class AlertWebhook(dg.ConfigurableResource):
    """Where run-failure alerts are POSTed as JSON; an empty URL keeps them in the log only."""

    url: str = ""

    def send(self, payload: dict[str, str]) -> None:
        if not self.url:
            return
        request = urllib.request.Request(
            self.url, json.dumps(payload).encode(), {"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
            response.read()


def alert_webhook() -> AlertWebhook:
    """The webhook from ``MNIST_ALERT_WEBHOOK_URL`` (mnist_assets.settings).

    Passed as an unresolved ``dg.EnvVar``: the URL (often a secret) is read when the sensor
    runs and never shows in the UI. Dagster fails on an unset ``EnvVar``, so without the
    variable the resource has no URL and alerts stay in the log.
    """
    if settings().alert_webhook_url is None:
        return AlertWebhook()
    return AlertWebhook(url=dg.EnvVar(variable("alert_webhook_url")))


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed run and POSTs it to the alert webhook when one is set",
)
def run_failure_alert(context: dg.RunFailureSensorContext, alerts: AlertWebhook) -> None:
    """Alert on one failed run: its id, job, error and tags."""
    run = context.dagster_run
    payload = {
        "run_id": run.run_id,
        "job": run.job_name,
        "error": context.failure_event.message or "",
        "tags": json.dumps(dict(run.tags)),
    }
    context.log.error(f"run {run.run_id} of {run.job_name} failed: {payload['error']}")
    alerts.send(payload)
