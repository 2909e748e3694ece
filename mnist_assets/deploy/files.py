"""Files of the deployment written whole or not at all, and one lock around every change."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "deploy.lock"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before the rename makes it the file
    os.replace(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # and the rename itself survives a power cut
    finally:
        os.close(folder)


@contextmanager
def change_lock(run_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the deployment's lock: one change at a time across processes.

    ``make deploy``, a sensor's run of mnist_service, ``make rollback`` and ``make undeploy`` all
    change the same slots, gateway and state; interleaved, they could route to a stopped bento.
    TimeoutError after ``timeout`` seconds of waiting.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / LOCK_FILE).open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another change of the deployment in {run_dir} holds {LOCK_FILE} "
                        f"after {timeout:.0f} s"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
