import json
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_assets.deploy.processes import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_started_process_is_found_outlives_nothing_and_stops(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    pid = supervisor.start("sleeper", SLEEPER)
    assert supervisor.pid("sleeper") == pid
    assert supervisor.names() == ["sleeper"]
    assert supervisor.stop("sleeper") is True
    assert supervisor.pid("sleeper") is None
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert supervisor.stop("sleeper") is False  # stopping twice is harmless


def test_stale_pid_file_is_dropped(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(done.stdout)
    (tmp_path / "ghost.pid").write_text(json.dumps({"pid": dead_pid, "command": SLEEPER}))
    assert Supervisor(tmp_path).pid("ghost") is None
    assert not (tmp_path / "ghost.pid").exists()


@pytest.mark.parametrize(
    "recorded",
    [
        # A live pid whose command line is not the recorded one.
        {"command": ["prometheus", "--config.file=x", "--storage=y"]},
        # The recorded command line, but started at another time: the recorded process died
        # and its number went to another (rare, and fatal to signal).
        {"command": SLEEPER, "started": 1},
    ],
)
def test_a_pid_that_is_not_the_recorded_process_is_never_signalled(
    tmp_path: Path, recorded: dict
) -> None:
    other = subprocess.Popen(SLEEPER)
    try:
        (tmp_path / "ghost.pid").write_text(json.dumps({"pid": other.pid, **recorded}))
        supervisor = Supervisor(tmp_path)
        assert supervisor.pid("ghost") is None
        assert supervisor.stop("ghost") is False
        assert other.poll() is None  # still running
    finally:
        other.kill()
        other.wait()


def test_output_goes_to_the_log_file(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    supervisor.start("echo", [sys.executable, "-c", "print('hello from the child')"])
    log = supervisor.log_file("echo")
    for _ in range(100):
        if "hello" in log.read_text():
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert "hello from the child" in log.read_text()
