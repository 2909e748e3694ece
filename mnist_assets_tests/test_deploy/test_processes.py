import json
import subprocess
import sys
from pathlib import Path

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


def test_a_pid_running_another_command_is_never_signalled(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        record = {"pid": other.pid, "command": ["prometheus", "--config.file=x", "--storage=y"]}
        (tmp_path / "prometheus.pid").write_text(json.dumps(record))
        supervisor = Supervisor(tmp_path)
        assert supervisor.pid("prometheus") is None
        assert supervisor.stop("prometheus") is False
        assert other.poll() is None  # still running
    finally:
        other.kill()
        other.wait()


def test_a_reused_pid_running_the_same_command_is_never_signalled(tmp_path: Path) -> None:
    # The same command line, but a process started at another time than the one recorded: the
    # recorded process died and its number went to another (rare, and fatal to signal).
    other = subprocess.Popen(SLEEPER)
    try:
        record = {"pid": other.pid, "command": SLEEPER, "started": 1}  # booted-at-tick-1
        (tmp_path / "sleeper.pid").write_text(json.dumps(record))
        supervisor = Supervisor(tmp_path)
        assert supervisor.pid("sleeper") is None
        assert supervisor.stop("sleeper") is False
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
