"""HTTP serving against fair baselines, measured in one run.

    make deploy && make benchmark-serve      (or: python benchmarks/serve_load.py)

Servers, each serving the champion's weights with the project's worker count
(MNIST_SERVICE_WORKERS, one per core) and one torch thread per worker:
  project   the champion's bento behind the nginx gateway, its workers as processes, on ports,
            a run folder and a BentoML home of its own (never a deployed service's)
  container the same behind the gateway as a container of its image, what `make deploy` runs
            by default where a container engine works (left out where none does)
  naive     a BentoML service in the quickstart's style (benchmarks/naive_service.py)
  fastapi   FastAPI + pydantic + eager PyTorch under uvicorn (benchmarks/fastapi_service.py)
  mlflow    `mlflow models serve` of the champion
Each server runs alone, loaded by wrk (C, one thread, on the same cores): started, warmed up,
measured, stopped, then the next. Each point is measured REPEATS times, interleaved across
servers; medians and the ratios of medians are printed. /predict/batch of 256 images is
measured on the project as JSON and as raw bytes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from wrk_load import WrkResult, run_wrk, wrk_path

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import MODEL_LABEL, bento_for_model, server_home
from mnist_assets.deploy.engines import PROCESSES, detect
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.stack import Deployment
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.settings import settings

BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
CONNECTIONS = (64, 1)
OCTET = "application/octet-stream"


@contextmanager
def server(
    command: list[str], ready_url: str, environment: dict[str, str], cwd: Path | None = None
) -> Iterator[subprocess.Popen]:
    """A server process started in ``cwd`` (default: the project's files), ready; stopped after."""
    log = tempfile.NamedTemporaryFile("w", prefix="serve-bench-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=cwd or env.shipped_dir(), env=environment, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start: see {log.name}") from None
                time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def main() -> None:
    wrk_path()  # fail early when wrk is missing
    env.prepare_tool_homes()  # the project's stores, as the mnist-assets command uses them
    champion = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri).version_with_alias(
        CHAMPION_ALIAS
    )
    if champion is None or champion.run_id is None:
        raise SystemExit("no champion yet: run `make deploy` first")
    bento = bento_for_model(str(champion.version), champion.run_id)
    workers = settings().workers
    workers = os.cpu_count() or 1 if workers == "cpu_count" else workers
    test = MnistSplits.load(settings().data_root / "mnist_splits").test
    image = (test.images[0].astype(np.float32) / 255).tolist()
    batch = test.images[:256]

    home = server_home(Path(tempfile.mkdtemp(prefix="serve-bench-")) / "bentoml")
    environment = {**os.environ, "BENTOML_HOME": str(home), "MNIST_SERVICE_WORKERS": str(workers)}
    environment["MNIST_BENTO_MODEL"] = bento.info.labels[MODEL_LABEL]
    environment["PATH"] = f"{BIN}{os.pathsep}{environment['PATH']}"  # mlflow runs uvicorn by name
    environment.pop("MNIST_API_TOKEN", None)
    ports = {name: free_port() for name in ("naive", "fastapi", "mlflow")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    model_uri = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
    commands = {
        "naive": [str(BIN / "bentoml"), "serve", "benchmarks.naive_service:NaiveMnist"],
        "fastapi": [str(BIN / "uvicorn"), "benchmarks.fastapi_service:app", "--no-access-log"],
        "mlflow": [str(BIN / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager"],
    }
    commands["naive"] += ["--host", "127.0.0.1", "--port", str(ports["naive"])]
    commands["fastapi"] += ["--workers", str(workers), "--port", str(ports["fastapi"])]
    commands["mlflow"] += [
        "local",
        "-w",
        str(workers),
        "-h",
        "127.0.0.1",
        "-p",
        str(ports["mlflow"]),
    ]
    ready = {"naive": "/readyz", "fastapi": "/health", "mlflow": "/ping"}
    bodies = {
        "project": json.dumps({"image": image}).encode(),
        "naive": json.dumps({"image": [image]}).encode(),
        "fastapi": json.dumps({"image": image}).encode(),
        "mlflow": json.dumps({"inputs": [[image]]}).encode(),
    }
    paths = {"project": "/predict", "naive": "/predict", "fastapi": "/predict"}
    paths["mlflow"] = "/invocations"

    print(
        f"{bento.tag} (champion v{champion.version}); {workers} workers each; wrk, "
        f"{SECONDS:.0f} s per point, {REPEATS} interleaved repeats\n",
        flush=True,
    )
    runners = {"project": PROCESSES}
    if (engine := detect()[0]) is not None:
        runners["container"] = engine.name
        bodies["container"], paths["container"] = bodies["project"], paths["project"]
    deployments = {
        name: Deployment(Path(home.parent) / f"run-{name}", "127.0.0.1", free_port(), free_port())
        for name in runners
    }
    for name, deployment in deployments.items():
        deployment.choose_runner(runners[name])
        urls[name] = deployment.url
    mlflow_env = {**environment, "MLFLOW_TRACKING_URI": settings().mlflow_tracking_uri}

    @contextmanager
    def alone(name: str) -> Iterator[None]:
        """``name``'s server, the only one running, ready."""
        if name in deployments:
            try:
                deployments[name].serve(str(bento.tag), str(champion.version))
                yield
            finally:
                deployments[name].stop()
        else:
            server_env = mlflow_env if name == "mlflow" else environment
            with server(commands[name], urls[name] + ready[name], server_env):
                yield

    results: dict[tuple[str, int], list[WrkResult]] = {}
    batches: dict[str, list[WrkResult]] = {"json": [], "raw bytes": []}
    for repeat in range(REPEATS):
        for name, body in bodies.items():
            with alone(name):
                url = urls[name] + paths[name]
                run_wrk(url, body, 64, 3)  # warm-up: every worker loaded, first calls paid
                for connections in CONNECTIONS:
                    result = run_wrk(url, body, connections, SECONDS)
                    results.setdefault((name, connections), []).append(result)
                if name == "project":
                    batch_url = f"{urls['project']}/predict/batch"
                    as_json = json.dumps({"images": (batch / 255.0).tolist()}).encode()
                    batches["json"].append(run_wrk(batch_url, as_json, 8, SECONDS))
                    raw = run_wrk(batch_url, batch.tobytes(), 8, SECONDS, OCTET)
                    batches["raw bytes"].append(raw)
        print(f"repeat {repeat + 1} of {REPEATS} done", flush=True)
    report(results, batches)


def report(results: dict[tuple[str, int], list[WrkResult]], batches: dict) -> None:
    """Medians per server and connection count, then the project's ratios."""

    def median(runs: list[WrkResult], field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs)

    print(f"\n{'server':<9} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for (name, connections), runs in results.items():
        errors = sum(run.errors for run in runs)
        print(
            f"{name:<9} {connections:>5} {median(runs, 'rps'):>8.0f} "
            f"{median(runs, 'p50_ms'):>7.2f} {median(runs, 'p99_ms'):>7.2f} {errors:>6}"
        )
    ours = [name for name in ("container", "project") if (name, 64) in results]
    for mine in ours:
        rps = median(results[(mine, 64)], "rps")
        for name in ("naive", "fastapi", "mlflow"):
            ratio = rps / median(results[(name, 64)], "rps")
            print(f"{mine} / {name} at 64 connections: {ratio:.2f}x")
    if len(ours) == 2:
        ratio = median(results[("container", 64)], "rps") / median(results[("project", 64)], "rps")
        print(f"container / project (processes) at 64 connections: {ratio:.2f}x")
    for kind, runs in batches.items():
        errors = sum(run.errors for run in runs)
        print(
            f"/predict/batch, 256 images as {kind}: {median(runs, 'rps') * 256:,.0f} images/s"
            f" (errors {errors})"
        )


if __name__ == "__main__":
    main()
