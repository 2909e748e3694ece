"""Where one serving worker spends its time under load, sampled with py-spy.

    make profile-serve                      (or: python benchmarks/profile_serve.py [REV ...])

Serves the champion's stored model from the working tree's bentos/service.py (and, for each
git revision given, from that revision's, checked out in a temporary worktree) as one worker of
`bentoml serve` on a port and BentoML home of its own, loads it with wrk (64 connections,
/predict, one JSON image) and samples the worker with py-spy. Each sample is put in the
category of its innermost frame that names one; the shares are printed side by side, with
each server's requests/s under the same load (sampling slows a worker a little, alike for all).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from serve_load import server
from wrk_load import run_wrk, wrk_path

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import MODEL_LABEL, bento_for_model, server_home
from mnist_assets.deploy.probes import free_port
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.settings import settings

BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
# Innermost match wins: (category, substrings of a frame "function (file:line)").
CATEGORIES = [
    ("forward pass (ONNX Runtime / PyTorch)", ("onnxruntime", "torch/nn", "predictors.py")),
    ("JSON to numpy and checks", ("json_bodies.py", "orjson", "fast_json.py")),
    ("answer to JSON (pydantic)", ("model_dump_json", "pydantic/main.py")),
    ("project metrics, drift, input ring", ("serving/metrics.py", "live_drift.py", "recent_")),
    ("prometheus_client (BentoML's and ours)", ("prometheus_client",)),
    ("OpenTelemetry spans", ("opentelemetry",)),
    ("logging", ("logging/__init__.py",)),
    ("the project's ASGI layers", ("mnist_assets/serving/", "bentos/service.py")),
    ("BentoML's server", ("_bentoml_impl", "_bentoml_sdk", "bentoml/")),
    ("HTTP: uvicorn, httptools, starlette", ("uvicorn", "httptools", "h11", "starlette")),
    ("event loop (asyncio, uvloop)", ("asyncio", "uvloop")),
]


def category(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, needles in CATEGORIES:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def profile(source: Path, model_tag: str, body: bytes, label: str) -> tuple[dict, float]:
    """Category shares of one worker serving from ``source``, and its requests/s."""
    home = server_home(Path(tempfile.mkdtemp(prefix="profile-serve-")) / "bentoml")
    port = free_port()
    environment = {
        **os.environ,
        "BENTOML_HOME": str(home),
        "MNIST_BENTO_MODEL": model_tag,
        "MNIST_SERVICE_WORKERS": "1",
        "PYTHONPATH": str(source),
    }
    environment.pop("MNIST_API_TOKEN", None)
    command = [str(BIN / "bentoml"), "serve", "bentos.service:MnistService", "--port", str(port)]
    command += ["--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    with server(command, f"{url}/readyz", environment, cwd=source) as process:
        run_wrk(f"{url}/predict", body, 64, 3)  # warm-up
        raw = Path(tempfile.mkdtemp(prefix="profile-serve-")) / f"{label}.txt"
        spy = [str(BIN / "py-spy"), "record", "--pid", str(process.pid), "--subprocesses"]
        spy += ["--format", "raw", "--rate", "250", "--duration", f"{SECONDS:g}", "-o", str(raw)]
        sampler = threading.Thread(target=subprocess.run, args=(spy,), kwargs={"check": True})
        sampler.start()
        load = run_wrk(f"{url}/predict", body, 64, SECONDS)
        sampler.join()
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        processes = [frame for frame in frames if frame.startswith("process ")]
        if not any("_bentoml_impl.worker" in process for process in processes):
            continue  # the supervising processes, not the worker
        counts[category(";".join(frames[len(processes) :]))] += int(samples)
    total = sum(counts.values()) or 1
    return {name: count / total for name, count in counts.items()}, load.rps


def main() -> None:
    wrk_path()
    env.prepare_tool_homes()
    registry = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri)
    champion = registry.version_with_alias(CHAMPION_ALIAS)
    if champion is None or champion.run_id is None:
        raise SystemExit("no champion yet: run `make deploy` first")
    model_tag = bento_for_model(str(champion.version), champion.run_id).info.labels[MODEL_LABEL]
    test = MnistSplits.load(settings().data_root / "mnist_splits").test
    body = json.dumps({"image": (test.images[0].astype(np.float32) / 255).tolist()}).encode()
    sources = {"working tree": env.shipped_dir()}
    with tempfile.TemporaryDirectory() as scratch:
        for revision in sys.argv[1:]:
            tree = Path(scratch) / revision
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], check=True)
            sources[revision] = tree
        try:
            columns = {
                label: profile(tree, model_tag, body, label) for label, tree in sources.items()
            }
        finally:
            for revision in sys.argv[1:]:
                tree = Path(scratch) / revision
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False)
    names = [name for name, _ in CATEGORIES] + ["other"]
    header = " | ".join(sources)
    print(f"\nOne worker, wrk at 64 connections, py-spy at 250 Hz for {SECONDS:.0f} s\n")
    print(f"| where the time goes | {header} |\n|---|{'---|' * len(sources)}")
    for name in names:
        shares = " | ".join(f"{columns[label][0].get(name, 0.0):.1%}" for label in sources)
        print(f"| {name} | {shares} |")
    print("| requests/s | " + " | ".join(f"{columns[s][1]:,.0f}" for s in sources) + " |")


if __name__ == "__main__":
    main()
