"""HTTP serving: the project's bento against two baselines serving the same weights, in one run.

    make pipeline && make benchmark-serve      (or: python benchmarks/serve_load.py)

Servers run one at a time on 127.0.0.1 so none shares the CPU with another: (a) the built bento
of the current champion under `bentoml serve`, (b) a naive BentoML service in the style of the
quickstart (benchmarks/naive_service.py), (c) `mlflow models serve` of the registered champion.
Each gets 1 and 64 concurrent closed-loop clients; the bento's /predict/batch is measured too.
The load generator runs on the same 2 cores, so absolute figures are conservative.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bentoml
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from http_load import LoadResult, run_load

from mnist_assets.constants import BENTO_SERVICE_NAME, CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.deploy.bentos import MODEL_LABEL, server_home
from mnist_assets.env import data_root, mlflow_tracking_uri, prepare_tool_homes, state_dir
from mnist_assets.ml.splits import MnistSplits

BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], ready_url: str, env: dict[str, str]) -> Iterator[None]:
    log = open(f"/tmp/serve-bench-{os.getpid()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=state_dir(), env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(ready_url, timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited: see {log.name}") from None
                time.sleep(0.5)
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def main() -> None:
    prepare_tool_homes()  # the project's stores, as the mnist-assets command uses them
    bento = max(bentoml.bentos.list(BENTO_SERVICE_NAME), key=lambda b: b.info.creation_time)
    model_tag = bento.info.labels[MODEL_LABEL]
    splits = MnistSplits.load(data_root() / "mnist_splits")
    image = (splits.test.images[0].astype(np.float32) / 255).tolist()
    batch = (splits.test.images[:256].astype(np.float32) / 255).tolist()
    # The servers get a BentoML home of their own: a deployed service's metrics stay its own.
    home = server_home(Path(tempfile.mkdtemp(prefix="serve-bench-")) / "bentoml")
    env = {**os.environ, "MNIST_BENTO_MODEL": model_tag, "BENTOML_HOME": str(home)}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"  # mlflow starts uvicorn by name
    env.pop("MNIST_API_TOKEN", None)
    print(f"bento {bento.tag} serving {model_tag}; {SECONDS:.0f} s per measurement\n")
    results: dict[str, dict[int, LoadResult]] = {}

    port = _port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "bentoml"), "serve", str(bento.tag), "--host", "127.0.0.1"]
    with server([*command, "--port", str(port)], f"{url}/readyz", env):
        body = json.dumps({"image": image}).encode()
        results["project bento /predict"] = {
            c: run_load(f"{url}/predict", body, c, SECONDS) for c in (1, 64)
        }
        batch_body = json.dumps({"images": batch}).encode()
        # Few, heavy requests: a new connection each, so every worker gets its share.
        batch_run = run_load(f"{url}/predict/batch", batch_body, 4, SECONDS, new_connections=True)

    port = _port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "bentoml"), "serve", "benchmarks.naive_service:NaiveMnist"]
    with server([*command, "--host", "127.0.0.1", "--port", str(port)], f"{url}/readyz", env):
        body = json.dumps({"image": [image]}).encode()
        results["naive BentoML (quickstart style)"] = {
            c: run_load(f"{url}/predict", body, c, SECONDS) for c in (1, 64)
        }

    port = _port()
    url = f"http://127.0.0.1:{port}"
    uri = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
    command = [str(BIN / "mlflow"), "models", "serve", "-m", uri, "--env-manager", "local"]
    mlflow_env = {**env, "MLFLOW_TRACKING_URI": mlflow_tracking_uri()}
    with server([*command, "-h", "127.0.0.1", "-p", str(port)], f"{url}/ping", mlflow_env):
        body = json.dumps({"inputs": [[image]]}).encode()
        results["mlflow models serve"] = {
            c: run_load(f"{url}/invocations", body, c, SECONDS) for c in (1, 64)
        }

    for name, by_clients in results.items():
        for result in by_clients.values():
            print(result.row(name))
    images_per_second = batch_run.rps * 256
    print(f"project bento /predict/batch, 256 images, 4 clients: {images_per_second:,.0f} images/s")
    ours = results["project bento /predict"][64].rps
    naive = results["naive BentoML (quickstart style)"][64].rps
    mlflow_rps = results["mlflow models serve"][64].rps
    print(f"\n64 clients: {ours / naive:.2f}x the naive service, {ours / mlflow_rps:.2f}x mlflow")


if __name__ == "__main__":
    main()
