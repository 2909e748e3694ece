"""Large uploads against the rest of the service: /readyz and JSON /predict while PNGs decode.

Serves the champion's bento the way `make deploy` does (gateway, a slot, one worker per core)
on ports, a run folder and stores of its own, never touching a deployed service. Two phases of
the same length, interleaved over the same repeats: JSON /predict from 8 clients and /readyz
polled by one, alone (the baseline) and while 4 clients keep sending /predict/batch requests of
256 PNGs of 250x250, the largest batch the pixel caps allow (16,000,000 pixels). Prints the
p99 of /readyz and /predict and the share of the baseline's /predict throughput kept.

    python benchmarks/upload_stall.py               # 3 repeats of 15 s per phase
    python benchmarks/upload_stall.py --seconds 5   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
from PIL import Image

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS
from mnist_assets.defs.shared.registry import ModelRegistry
from mnist_assets.deploy.bentos import bento_for_model
from mnist_assets.deploy.probes import free_port
from mnist_assets.deploy.stack import Deployment
from mnist_assets.ml.data.splits import MnistSplits
from mnist_assets.settings import settings

PREDICT_CLIENTS, UPLOADERS, BATCH, SIDE = 8, 4, 256, 250


@dataclass
class Phase:
    """What one phase measured (latencies in ms)."""

    readyz: list[float] = field(default_factory=list)
    predict: list[float] = field(default_factory=list)
    uploads: int = 0
    errors: int = 0


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")


def upload_form(digit: np.ndarray) -> aiohttp.FormData:
    """256 PNGs of one digit drawn at 250x250: each a real photo-sized image to decode."""
    big = Image.fromarray(digit).resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    big.save(buffer, format="PNG")
    form = aiohttp.FormData()
    for index in range(BATCH):
        form.add_field(
            "images", buffer.getvalue(), filename=f"{index}.png", content_type="image/png"
        )
    return form


async def _loop(
    session: aiohttp.ClientSession, deadline: float, send, out: list[float] | None, phase: Phase
) -> None:
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            async with send(session) as response:
                await response.read()
                ok = response.status == 200
        except aiohttp.ClientError:
            ok = False
        if not ok:
            phase.errors += 1
        elif out is not None:
            out.append((time.perf_counter() - start) * 1000)
        else:
            phase.uploads += 1


async def measure(url: str, body: bytes, digit: np.ndarray, uploads: bool, seconds: float) -> Phase:
    phase = Phase()
    headers = {"content-type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        deadline = time.perf_counter() + seconds
        tasks = [
            _loop(
                session,
                deadline,
                lambda s: s.post(f"{url}/predict", data=body, headers=headers),
                phase.predict,
                phase,
            )
            for _ in range(PREDICT_CLIENTS)
        ]
        tasks.append(
            _loop(session, deadline, lambda s: s.get(f"{url}/readyz"), phase.readyz, phase)
        )
        if uploads:
            tasks += [
                _loop(
                    session,
                    deadline,
                    lambda s: s.post(f"{url}/predict/batch", data=upload_form(digit)),
                    None,
                    phase,
                )
                for _ in range(UPLOADERS)
            ]
        await asyncio.gather(*tasks)
    return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env.prepare_tool_homes()
    champion = ModelRegistry(tracking_uri=settings().mlflow_tracking_uri).version_with_alias(
        CHAMPION_ALIAS
    )
    if champion is None or champion.run_id is None:
        raise SystemExit("no champion yet: run `make deploy` (or `make pipeline`) first")
    bento = str(bento_for_model(str(champion.version), champion.run_id).tag)
    digits = MnistSplits.load(settings().data_root / "mnist_splits").test.images
    body = json.dumps({"image": (digits[0] / 255.0).tolist()}).encode()

    run_dir = Path(tempfile.mkdtemp(prefix="upload-stall-")) / "run"
    deployment = Deployment(run_dir, "127.0.0.1", free_port(), free_port())
    results: dict[bool, list[Phase]] = {False: [], True: []}
    try:
        deployment.serve(bento, str(champion.version))
        asyncio.run(measure(deployment.url, body, digits[1], uploads=False, seconds=2))  # warm
        for _ in range(args.repeats):
            for uploads in (False, True):
                results[uploads].append(
                    asyncio.run(measure(deployment.url, body, digits[1], uploads, args.seconds))
                )
    finally:
        deployment.stop()
    print(
        f"{bento}: {PREDICT_CLIENTS} JSON clients, /readyz polled by one; "
        f"{args.repeats} x {args.seconds:.0f} s per phase"
    )
    print(
        f"{'phase':<34} {'readyz p99':>11} {'predict p99':>12} {'predict/s':>10} "
        f"{'uploads/s':>10} {'errors':>7}"
    )
    rates = {}
    for uploads, phases in results.items():
        readyz = statistics.median(p99(p.readyz) for p in phases)
        predict = statistics.median(p99(p.predict) for p in phases)
        rates[uploads] = statistics.median(len(p.predict) / args.seconds for p in phases)
        upload_rate = statistics.median(p.uploads / args.seconds for p in phases)
        name = (
            f"with {UPLOADERS} clients uploading 256 PNGs" if uploads else "baseline (no uploads)"
        )
        print(
            f"{name:<34} {readyz:>9.1f} ms {predict:>9.1f} ms {rates[uploads]:>10.0f} "
            f"{upload_rate:>10.2f} {sum(p.errors for p in phases):>7}"
        )
    print(
        f"/predict throughput kept while uploading: {rates[True] / rates[False]:.2f}x the baseline"
    )


if __name__ == "__main__":
    main()
