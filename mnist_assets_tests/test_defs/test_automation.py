"""The automation: conditions evaluated with Dagster's helper, the schedule, the failure alert."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import dagster as dg
import pytest

from mnist_assets.defs.automation.alerts import AlertWebhook, run_failure_alert
from mnist_assets.defs.automation.jobs import retraining_job
from mnist_assets.defs.automation.schedules import weekly_retraining
from mnist_assets.env import config_defaults
from mnist_assets_tests.test_defs.toy_graph import DEFS, NAMES, materialise


class Evaluator:
    """Ticks of the automation condition sensor, its cursor carried from one to the next."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance, self.cursor = instance, None

    def requested(self) -> set[str]:
        result = dg.evaluate_automation_conditions(
            defs=DEFS, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {name for name in NAMES if result.get_num_requested(dg.AssetKey(name))}

    def materialise(self, names: list[str], content: str = "v1", passes: bool = True) -> None:
        materialise(self.instance, names, content, passes)


@pytest.fixture
def evaluator():
    with dg.instance_for_test() as instance:
        yield Evaluator(instance)


def test_nothing_moves_before_the_source_exists(evaluator: Evaluator) -> None:
    assert evaluator.requested() == set()


def test_children_follow_a_new_data_version_but_not_a_rerun_with_the_same_one(
    evaluator: Evaluator,
) -> None:
    evaluator.requested()
    evaluator.materialise(["source", "model", "service"])
    evaluator.requested()  # the tick that sees the first versions
    evaluator.materialise(["source"])  # re-read, unchanged
    assert evaluator.requested() == set()
    evaluator.materialise(["source"], content="v2")
    assert evaluator.requested() == {"model"}


def test_nothing_follows_past_a_failed_blocking_check(evaluator: Evaluator) -> None:
    evaluator.requested()
    evaluator.materialise(["source", "model", "service"])
    evaluator.requested()
    evaluator.materialise(["source", "model"], content="v2", passes=False)
    assert "service" not in evaluator.requested()
    evaluator.materialise(["source", "model"], content="v3", passes=True)
    assert "service" in evaluator.requested()


def test_every_asset_below_raw_mnist_follows_its_parents() -> None:
    from mnist_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.toposorted_asset_keys:
        condition = graph.get(key).automation_condition
        label = condition.get_label() if condition else None
        assert label == (None if key.to_user_string() == "raw_mnist" else "follow_parents"), key


def test_weekly_schedule_retrains_the_model_and_what_follows() -> None:
    calendar = config_defaults("automation")["retraining"]
    assert weekly_retraining.cron_schedule == calendar["cron"] == "0 3 * * 1"
    assert weekly_retraining.default_status == dg.DefaultScheduleStatus.RUNNING
    assert weekly_retraining.job_name == retraining_job.name
    from mnist_assets.definitions import defs

    job = defs.resolve_job_def(retraining_job.name)
    targets = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert targets == {
        "mnist_cnn",
        "validation_report",
        "mnist_champion",
        "optimized_model",
        "mnist_bento",
        "mnist_service",
    }
    assert job.tags["mnist/training"] == "scheduled"  # one training run at a time (dagster.yaml)


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@dg.op
def explode() -> None:
    raise ValueError("the disk is full")


@dg.job
def doomed() -> None:
    explode()


def test_a_failed_run_is_posted_to_the_webhook() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with dg.instance_for_test() as instance:
            result = doomed.execute_in_process(instance=instance, raise_on_error=False)
            failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alert",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
            ).for_run_failure()
            url = f"http://127.0.0.1:{server.server_port}/hook"
            run_failure_alert(context, alerts=AlertWebhook(url=url))
    finally:
        server.shutdown()
    assert len(_Receiver.received) == 1
    alert = _Receiver.received[0]
    assert alert["job"] == "doomed" and alert["run_id"] == result.run_id
    assert "explode" in alert["error"]
