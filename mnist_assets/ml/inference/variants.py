"""Inference variants side by side: accuracy against the eager reference, agreement, speed.

A variant is eligible when it loses at most ``max_accuracy_drop`` of accuracy and agrees with
the reference on at least ``min_agreement`` of the predictions, both on the validation split
(the test split is the promotion gate's); the fastest eligible variant at batch 1 serves (the
reference itself is always eligible).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnist_assets.ml.inference.predictors import Predictor


@dataclass(frozen=True)
class EligibilityRule:
    """How close to the reference a variant must stay to serve."""

    max_accuracy_drop: float  # accuracy a variant may lose against the reference
    min_agreement: float  # share of predictions that must equal the reference's


@dataclass(frozen=True)
class VariantResult:
    """One variant measured on the examples it is chosen on and on this CPU (one thread)."""

    name: str
    runtime: str
    accuracy: float
    accuracy_delta: float  # variant minus reference
    agreement: float
    p50_us: float  # batch 1
    p99_us: float
    batch64_images_per_s: float
    eligible: bool
    reason: str


def speed(
    predictor: Predictor, pixels: np.ndarray, samples: int = 300
) -> tuple[float, float, float]:
    """Batch-1 p50 and p99 in microseconds, and images/s at batch 64 (after a warm-up)."""
    singles = [pixels[i : i + 1] for i in range(min(samples, len(pixels)))]
    for image in singles[:20]:
        predictor.logits(image)
    timings = []
    for image in singles:
        start = time.perf_counter()
        predictor.logits(image)
        timings.append((time.perf_counter() - start) * 1e6)
    batches = [pixels[i : i + 64] for i in range(0, len(pixels) - 63, 64)][:16] or [pixels[:64]]
    predictor.logits(batches[0])
    start = time.perf_counter()
    for batch in batches:
        predictor.logits(batch)
    throughput = sum(len(b) for b in batches) / (time.perf_counter() - start)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 99)), throughput


def predict_digits(predictor: Predictor, pixels: np.ndarray) -> np.ndarray:
    """The predicted digit of every image, 512 at a time."""
    chunks = [predictor.logits(pixels[i : i + 512]) for i in range(0, len(pixels), 512)]
    return np.concatenate(chunks).argmax(1)


def measure(
    name: str,
    predictor: Predictor,
    pixels: np.ndarray,
    labels: np.ndarray,
    reference: np.ndarray,
    rule: EligibilityRule,
) -> VariantResult:
    """Score ``predictor`` on ``pixels`` against ``reference``, the eager model's digits."""
    predicted = predict_digits(predictor, pixels)
    accuracy = float((predicted == labels).mean())
    delta = accuracy - float((reference == labels).mean())
    agreement = float((predicted == reference).mean())
    problems = []
    if -delta > rule.max_accuracy_drop + 1e-9:  # exactly at the limit is allowed
        problems.append(f"loses {-delta:.2%} accuracy (at most {rule.max_accuracy_drop:.2%})")
    if agreement < rule.min_agreement - 1e-9:
        problems.append(f"agrees on {agreement:.2%} (at least {rule.min_agreement:.2%})")
    p50, p99, throughput = speed(predictor, pixels)
    return VariantResult(
        name=name,
        runtime=predictor.runtime,
        accuracy=accuracy,
        accuracy_delta=delta,
        agreement=agreement,
        p50_us=p50,
        p99_us=p99,
        batch64_images_per_s=throughput,
        eligible=not problems,
        reason="; ".join(problems) or "eligible",
    )


def choose(results: list[VariantResult]) -> VariantResult:
    """The eligible variant with the lowest batch-1 median latency."""
    return min((r for r in results if r.eligible), key=lambda r: r.p50_us)


def markdown_table(results: list[VariantResult], chosen: VariantResult) -> str:
    """The comparison as a markdown table, the reference (first) giving the speed-ups."""
    reference = results[0]
    rows = [
        f"| {r.name}{' (served)' if r is chosen else ''} | {r.runtime} | {r.accuracy:.2%} | "
        f"{r.accuracy_delta:+.2%} | {r.agreement:.2%} | {r.p50_us:.0f} | {r.p99_us:.0f} | "
        f"{reference.p50_us / r.p50_us:.2f}x | {r.batch64_images_per_s:,.0f} | {r.reason} |"
        for r in results
    ]
    header = (
        "| variant | runtime | accuracy | vs eager | agreement | p50 µs (batch 1) | p99 µs | "
        "speed-up | images/s (batch 64) | verdict |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *rows])


def save_results(results: list[VariantResult], chosen: VariantResult, path: Path) -> None:
    """Write the measurements and the choice as JSON."""
    payload = {"chosen": chosen.name, "variants": [asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2) + "\n")


def load_results(path: Path) -> tuple[list[VariantResult], str]:
    """Read what :func:`save_results` wrote: the measurements and the chosen name."""
    payload = json.loads(path.read_text())
    return [VariantResult(**r) for r in payload["variants"]], payload["chosen"]
