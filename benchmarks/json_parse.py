"""Request bodies to numpy: the standard library's ``json`` vs ``orjson`` (the service's parser).

Times what the service's JSON fast path does before its checks, parse plus array conversion,
for one ``/predict`` image and one 256-image ``/predict/batch`` body of real test digits, both
parsers on the same bodies in the same run, interleaved; prints the medians and their ratio.

    python benchmarks/json_parse.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import numpy as np
import orjson

from mnist_assets.defs.data.assets import SplitConfig
from mnist_assets.ml.data.sources import BundledSource
from mnist_assets.ml.data.splits import content_split

REPEATS = 7


def _seconds(parse: Callable[[bytes], object], body: bytes, field: str, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        np.asarray(parse(body)[field])  # type: ignore[index]
    return (time.perf_counter() - start) / number


def main() -> None:
    split = SplitConfig()  # mnist_assets/configs/data.yaml: the test digits of the bundled data
    digits = content_split(BundledSource().load(), split.fractions(), split.seed).test.images
    bodies = {
        "/predict, 1 image": ("image", (digits[0] / 255.0).tolist(), 2000),
        "/predict/batch, 256 images": ("images", (digits[:256] / 255.0).tolist(), 20),
    }
    parsers = {"json": json.loads, "orjson": orjson.loads}
    for name, (field, pixels, number) in bodies.items():
        body = json.dumps({field: pixels}).encode()
        times: dict[str, list[float]] = {parser: [] for parser in parsers}
        for _ in range(REPEATS):
            for parser, parse in parsers.items():
                times[parser].append(_seconds(parse, body, field, number))
        medians = {parser: statistics.median(values) for parser, values in times.items()}
        print(
            f"{name} ({len(body):,} bytes): json {medians['json'] * 1e6:,.1f} µs, "
            f"orjson {medians['orjson'] * 1e6:,.1f} µs, "
            f"{medians['json'] / medians['orjson']:.2f}x"
        )


if __name__ == "__main__":
    main()
