import json
import subprocess
import sys
import time
from collections.abc import Callable
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


def _poll(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def _holds(log: Path, text: str) -> bool:
    return log.is_file() and text in log.read_text()


def test_output_goes_to_the_log_file(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    supervisor.start("echo", [sys.executable, "-c", "print('hello from the child')"])
    log = supervisor.log_file("echo")
    _poll(lambda: _holds(log, "hello from the child"), "the child's line in its log")


def test_a_log_past_its_cap_is_rotated_and_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8 MB of output against a 1 MB cap: the current file and two rotated ones, each at most
    # the cap, and the last line in the current file.
    monkeypatch.setenv("MNIST_LOG_MAX_BYTES", str(2**20))
    chatty = "for i in range(80_000): print(f'line {i:06d} ' + 'x' * 90)\nprint('the end')"
    supervisor = Supervisor(tmp_path)
    supervisor.start("chatty", [sys.executable, "-c", chatty])
    log = supervisor.log_file("chatty")
    _poll(lambda: _holds(log, "the end"), "the last line in the current log")
    files = sorted(log.parent.glob("chatty.log*"))
    assert [f.name for f in files] == ["chatty.log", "chatty.log.1", "chatty.log.2"]
    assert all(f.stat().st_size <= 2**20 for f in files)
    assert "line 079999" in log.read_text()
