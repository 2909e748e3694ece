"""`make deploy`, `make undeploy`, `make status` and `make rollback`."""

import json
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from mnist_assets.cli.materialise import materialise
from mnist_assets.deploy.engines import PROCESSES, EngineError, detect, runner_for
from mnist_assets.deploy.exposure import ExposureRefused, check_exposure
from mnist_assets.deploy.probes import auth_headers, http_ok
from mnist_assets.deploy.stack import PROMETHEUS, DeployError, Deployment
from mnist_assets.settings import settings

SMOKE_DIGIT = [[0.0] * 28 for _ in range(28)]


def deploy(run_config_file: str | None, target: str = "local") -> int:
    """Bring the graph up to date through Dagster, serve the champion, monitor it.

    The gateway and Prometheus run as processes here; the bento too with ``target`` "local",
    as a container of its own image with "container", and with "auto" as a container when an
    engine works (Docker whose daemon answers, else Podman), else as processes.
    """
    from mnist_assets.definitions import defs
    from mnist_assets.defs.data.assets import raw_mnist
    from mnist_assets.defs.serving.deployment import SERVICE_ASSET
    from mnist_assets.defs.shared.staleness import due_assets

    started = time.perf_counter()
    run_config = json.loads(Path(run_config_file).read_text()) if run_config_file else {}
    instance = dg.DagsterInstance.get()
    current = settings()
    print(
        f"mnist-assets deploy (state in {current.state_dir}, Dagster home {current.dagster_home})"
    )
    try:
        check_exposure(current.bind_host, mlflow_server=False)
        runner, why = runner_for(target)
    except (EngineError, ExposureRefused) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    deployment = Deployment.from_environment()
    deployment.choose_runner(runner)
    print(f"  {'bento runs as':<18} {'':8}   {_runner_words(runner)} ({why})")
    # The source is observed every time; an unchanged source keeps its data version.
    if not materialise(defs, instance, [raw_mnist.key], run_config):
        return 1
    due, held = due_assets(defs, instance, always={SERVICE_ASSET})
    for key, reason in held.items():
        print(f"  held back: {key.to_user_string()} ({reason})")
    pipeline = [key for key in due if key != SERVICE_ASSET]
    if not pipeline:
        print("  up to date: nothing to retrain")
    elif not materialise(defs, instance, pipeline, run_config):
        print(
            "the pipeline failed; the service keeps serving the current champion", file=sys.stderr
        )
    if not materialise(defs, instance, [SERVICE_ASSET], run_config):
        return 1
    try:
        seconds = _timed(deployment.monitor)
    except (DeployError, TimeoutError, RuntimeError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    print(f"  {'prometheus':<18} {seconds:6.1f} s   scraping {deployment.url}, target up")
    print(f"  {'smoke prediction':<18} {'':8}   {_smoke(deployment.url)}")
    _print_summary(deployment, time.perf_counter() - started)
    return 0


def _runner_words(runner: str) -> str:
    return "processes" if runner == PROCESSES else f"{runner} containers"


def _timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def undeploy() -> int:
    """Stop the processes deploy started (by their pid files), nothing else."""
    stopped = Deployment.from_environment().stop()
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def status() -> int:
    """What runs, which bento and model version serve, and whether it is healthy."""
    deployment = Deployment.from_environment()
    for name in deployment.supervisor.names():
        pid = deployment.supervisor.pid(name)
        print(f"{name:12} {'pid ' + str(pid) if pid else 'not running'}")
    live = deployment.state().live
    if live is None:
        print("nothing deployed yet: make deploy")
        return 1
    healthy = http_ok(f"{deployment.url}/readyz")
    print(f"serving      {live.bento} (model v{live.model_version}, since {live.since})")
    slots = deployment.slots(live.runner)
    print(f"slot         {live.slot}: {slots.describe(live.slot)}")
    print(f"bento logs   {slots.logs(live.slot)}")
    print(f"service      {deployment.url} {'ready' if healthy else 'NOT READY'}")
    if deployment.supervisor.pid(PROMETHEUS):
        print(f"prometheus   target up: {deployment.prometheus.target_up()}")
    return 0 if healthy else 1


def rollback() -> int:
    """Serve the release that served before the live one; its model gets both aliases back."""
    from mnist_assets.defs.serving.deployment import SERVICE_ASSET, release_metadata
    from mnist_assets.defs.shared.registry import ModelRegistry

    deployment = Deployment.from_environment()
    try:
        release = deployment.roll_back()
    except DeployError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return 1
    registry = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri)
    left = registry.roll_back_to(release.model_version)
    dg.DagsterInstance.get().report_runless_asset_event(
        dg.AssetObservation(SERVICE_ASSET, metadata=release_metadata(deployment.url, release))
    )
    replaced = ", ".join(f"v{v}" for v in left) or "none"
    print(
        f"rolled back to {release.bento} (model v{release.model_version}): it serves and is "
        f"champion again; tagged rolled_back: {replaced}"
    )
    return 0


def image() -> int:
    """Build the container image of the champion's bento, also tagged ``mnist-service:latest``."""
    from mnist_assets.constants import CHAMPION_ALIAS
    from mnist_assets.defs.shared.registry import ModelRegistry
    from mnist_assets.deploy.base_image import base_image
    from mnist_assets.deploy.bentos import bento_for_model
    from mnist_assets.deploy.image import alias_ref, ensure_image

    engine, why = detect()
    if engine is None:
        print(f"image: no container engine works: {why}", file=sys.stderr)
        return 1
    registry = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri)
    champion = registry.version_with_alias(CHAMPION_ALIAS)
    if champion is None or champion.run_id is None:
        print(f"image: no '{CHAMPION_ALIAS}' model to containerize", file=sys.stderr)
        return 1
    bento = bento_for_model(str(champion.version), champion.run_id)
    try:
        built = ensure_image(engine, str(bento.tag), lambda: base_image(engine))
        engine.run("tag", built.ref, alias_ref())
    except EngineError as exc:
        print(f"image: {exc}", file=sys.stderr)
        return 1
    print(f"image {built.ref} ({built.size_bytes / 1e6:.0f} MB, {engine.name}) serves {bento.tag}")
    print(f"also tagged {alias_ref()}")
    return 0


def _smoke(url: str) -> str:
    body = json.dumps({"image": SMOKE_DIGIT}).encode()
    headers = {"content-type": "application/json", **auth_headers()}
    request = urllib.request.Request(f"{url}/predict", body, headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        answer = json.loads(response.read())
    return f"blank image -> digit {answer['digit']} at confidence {answer['confidence']:.2f}"


def _print_summary(deployment: Deployment, seconds: float) -> None:
    info = _get_json(f"{deployment.url}/model/info")
    url = deployment.url
    rows = [
        ("bento", str(info.get("bento", "?"))),
        (
            "model",
            f"mnist-cnn v{info.get('model_version', '?')}, test accuracy "
            f"{float(info.get('test_accuracy', 0)):.2%}, runtime {info.get('runtime', '?')}",
        ),
        ("service", f"{url}  POST /predict, /predict/batch, /predict/image, /feedback"),
        ("API docs", f"{url}/  (Swagger UI; OpenAPI at {url}/docs.json)"),
        ("metrics", f"{url}/metrics"),
        ("prometheus", deployment.prometheus.url),
        ("dashboard", f"{deployment.prometheus.dashboard_url}  (Prometheus' console page)"),
        ("labelling", f"http://{settings().bind_host}:{settings().review_port}/  (make review)"),
        ("dagster UI", f"{settings().dagster_ui_url}  (make dev)"),
        ("mlflow UI", f"{settings().mlflow_ui_url}  (make mlflow)"),
        ("logs", str(deployment.supervisor.log_file("gateway").parent)),
    ]
    if (live := deployment.state().live) is not None:
        rows.append(("bento logs", deployment.slots(live.runner).logs(live.slot)))
    print(f"\nmnist-assets is live ({seconds:.0f} s):")
    for name, value in rows:
        print(f"  {name:<11} {value}")
    print("  stop: make undeploy    status: make status    roll back: make rollback")


def _get_json(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers=auth_headers())
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        answer: dict[str, Any] = json.loads(response.read())
    return answer
