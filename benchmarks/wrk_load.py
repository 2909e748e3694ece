"""Load from `wrk` (a C load generator: one thread, N kept-alive connections), parsed.

`wrk` is a Debian package (`make benchmark-serve` installs it as root on Debian/Ubuntu).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "{content_type}"
local file = io.open("{body}", "rb")
wrk.body = file:read("*a")
file:close()
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers, socket errors and timeouts


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk not found: apt-get install wrk (or make benchmark-serve as root)")
    return found


def run_wrk(
    url: str, body: bytes, connections: int, seconds: float, content_type: str = "application/json"
) -> WrkResult:
    """POST ``body`` to ``url`` over ``connections`` connections for ``seconds``."""
    with tempfile.TemporaryDirectory() as scratch:
        body_file = Path(scratch) / "body"
        body_file.write_bytes(body)
        script = Path(scratch) / "post.lua"
        script.write_text(SCRIPT.format(content_type=content_type, body=body_file))
        command = [wrk_path(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        command += ["--timeout", "10s", "-s", str(script), url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return parse(done.stdout, connections)


def parse(output: str, connections: int) -> WrkResult:
    """The figures of wrk's ``--latency`` report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(q: int) -> float:
        match = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")

    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match.group(1))
    socket_errors = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
    if match := re.search(socket_errors, output):
        errors += sum(int(n) for n in match.groups())
    return WrkResult(connections, rps, percentile(50), percentile(99), errors)
