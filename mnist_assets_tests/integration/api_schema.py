"""Schemathesis, every check, against a served API: what it finds fails the calling test."""

import subprocess
import sys
import tempfile
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = "20261127"  # the same generated cases on every run; a failure reproduces


def assert_schemathesis_finds_nothing(url: str, token: str | None = None) -> str:
    """Run ``schemathesis run`` with all checks against ``url``; its summary line on success."""
    cli = str(Path(sys.executable).parent / "schemathesis")
    command = [cli, "--config-file", str(CONFIG), "run", f"{url}/docs.json", "--url", url]
    command += ["--checks", "all", "--seed", SEED, "--no-color"]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    with tempfile.TemporaryDirectory() as scratch:  # its case cache stays out of the checkout
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"schemathesis found failures:\n{done.stdout[-20000:]}"
    assert "No issues found" in done.stdout, done.stdout[-5000:]
    return done.stdout.strip().splitlines()[-1]
