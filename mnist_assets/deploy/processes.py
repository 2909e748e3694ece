"""Background processes that outlive the command starting them, tracked by pid files.

Each process gets ``<run_dir>/<name>.pid`` and ``<run_dir>/logs/<name>.log``, the log rotated at
``MNIST_LOG_MAX_BYTES`` (``<name>.log.1``, ``.2``) by a writer process beside it. Stopping acts only
on the pid a file names, and only while that pid still runs the command recorded beside it, so a
stale file never signals an unrelated process that inherited the number.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mnist_assets.serving.pids import pid_exists
from mnist_assets.settings import settings

LOG_PIPE = "mnist_assets.deploy.log_pipe"


@dataclass(frozen=True)
class Supervisor:
    """Starts, finds and stops named background processes under one run folder."""

    run_dir: Path

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.run_dir / "logs" / f"{name}.log"

    def start(
        self,
        name: str,
        command: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start ``command`` in its own session (it survives this process) and record its pid."""
        if self.pid(name) is not None:
            raise RuntimeError(f"{name} already runs (pid {self.pid(name)})")
        self.log_file(name).parent.mkdir(parents=True, exist_ok=True)
        # The output goes through a pipe to a writer that rotates the log at its size cap.
        writer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                LOG_PIPE,
                str(self.log_file(name)),
                str(settings().log_max_bytes),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert writer.stdin is not None
        with writer.stdin:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=writer.stdin,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        record = {"pid": process.pid, "command": command, "started": _start_time(process.pid)}
        self._pid_file(name).write_text(json.dumps(record) + "\n")
        # Until exec, the child still shows this process's command line.
        deadline = time.monotonic() + 10
        while not _runs(process.pid, command) and process.poll() is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start: {' '.join(command)}")
            time.sleep(0.01)
        return process.pid

    def pid(self, name: str) -> int | None:
        """The pid of ``name`` while it runs the recorded command, else None (stale files go)."""
        path = self._pid_file(name)
        try:
            record = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        pid = int(record["pid"])
        # The same start time as recorded: the very process, not one that reused its number.
        same = record.get("started") in (None, _start_time(pid))
        if same and _runs(pid, record["command"]):
            return pid
        if not _alive(pid):
            path.unlink(missing_ok=True)  # it exited: the file is stale
        return None

    def names(self) -> list[str]:
        """Names of the processes with a pid file, running or not."""
        return sorted(p.stem for p in self.run_dir.glob("*.pid"))

    def stop(self, name: str, timeout: float = 20.0) -> bool:
        """SIGTERM the process group of ``name``, SIGKILL it after ``timeout``; True if it ran."""
        pid = self.pid(name)
        self._pid_file(name).unlink(missing_ok=True)
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        _signal_group(pid, signal.SIGKILL)  # whatever of the group is left, workers included
        return True


def _alive(pid: int) -> bool:
    if not pid_exists(pid):
        return False
    # A zombie child of this process counts as gone once reaped.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return _state(pid) not in ("Z", "X", None)


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _runs(pid: int, command: list[str]) -> bool:
    """Whether ``pid`` is alive and runs ``command`` (judged by its first arguments)."""
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    # argv[0] differs between launcher and interpreter, and nginx rewrites its whole title
    # ("nginx: master process ..."), so look for the arguments that name this deployment.
    return all(part in cmdline for part in command[1:3])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
