"""Process-level helpers of the deploy test: a second server, live counters, leftovers."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from mnist_assets.deploy.probes import free_port, http_ok


def serve_and_stop(bento: str, env: dict[str, str]) -> None:
    """A second `bentoml serve` of ``bento`` on the shared BentoML home, until ready, then gone."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "bentoml"), "serve", bento, "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while not http_ok(f"http://127.0.0.1:{port}/readyz"):
            assert server.poll() is None and time.monotonic() < deadline, "second server failed"
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=60)


def predictions_counted(url: str) -> float:
    """The live service's mnist_predictions_total over all digits and workers."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("mnist_predictions_total{")
    )


def any_process_mentions(text: str) -> bool:
    """Whether a live (non-zombie) process has ``text`` in its command line."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and stat.rsplit(")", 1)[1].split()[0] != "Z":
            return True
    return False
