"""Soak: 64 clients on /predict through the gateway for 10 minutes, minute by minute.

Serves the champion's bento the way `make deploy` does (nginx gateway, a slot, its workers) but
on ports, a run folder and a BentoML home of its own, never touching a deployed service. Prints
per minute the requests, errors, p50 and p99, and each service worker's resident memory at the
start and at the end (growth over 10 % is flagged). The load generator shares the two cores.

    python benchmarks/soak.py                 # 10 one-minute rounds
    python benchmarks/soak.py --minutes 2     # a shorter run
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from http_load import run_load

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import bento_for_model
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.stack import Deployment
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.settings import settings

WORKER = "_bentoml_impl.worker.service"
CLIENTS = 64


def worker_memory(server: int) -> dict[int, int]:
    """Resident KiB of each service worker ``bentoml serve`` (pid ``server``) started."""
    memory = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if parent == server and WORKER in command:
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            memory[int(proc.name)] = int(rss.split()[1])
    return memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    env.prepare_tool_homes()  # the project's stores, as the mnist-assets command uses them

    champion = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri).version_with_alias(
        CHAMPION_ALIAS
    )
    if champion is None or champion.run_id is None:
        raise SystemExit("no champion yet: run `make deploy` first")
    bento = str(bento_for_model(str(champion.version), champion.run_id).tag)
    image = (
        MnistSplits.load(settings().data_root / "mnist_splits").test.images[0] / 255.0
    ).tolist()
    body = json.dumps({"image": image}).encode()

    run_dir = Path(tempfile.mkdtemp(prefix="soak-")) / "run"
    deployment = Deployment(run_dir, "127.0.0.1", free_port(), free_port())
    try:
        release = deployment.serve(bento, str(champion.version))
        server = deployment.supervisor.pid(f"bento-{release.slot}")
        assert server is not None
        run_load(f"{deployment.url}/predict", body, CLIENTS, 10)  # warm: every worker loaded
        start = worker_memory(server)
        print(f"{bento} (model v{champion.version}) behind the gateway, {CLIENTS} clients")
        print(f"{'minute':>6} {'requests':>9} {'req/s':>7} {'errors':>6} {'p50 ms':>7} {'p99':>7}")
        total_errors = 0
        for minute in range(1, args.minutes + 1):
            result = run_load(f"{deployment.url}/predict", body, CLIENTS, 60)
            total_errors += result.errors
            print(
                f"{minute:>6} {result.requests:>9,} {result.rps:>7.0f} {result.errors:>6} "
                f"{result.percentile(50):>7.1f} {result.percentile(99):>7.1f}",
                flush=True,
            )
        end = worker_memory(server)
    finally:
        deployment.stop()
    print(f"errors in all: {total_errors}")
    for pid, before in sorted(start.items()):
        after = end.get(pid)
        if after is None:
            print(f"worker {pid}: {before / 1024:.0f} MiB at start, replaced since")
            continue
        growth = after / before - 1
        flag = "  OVER 10 %" if growth > 0.10 else ""
        print(f"worker {pid}: {before / 1024:.0f} -> {after / 1024:.0f} MiB ({growth:+.1%}){flag}")


if __name__ == "__main__":
    main()
