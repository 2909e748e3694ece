"""A full disk while a batch is stored: nothing half-written, the batch waits in the inbox."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets_tests.test_defs.conftest import Folders


def _as_root() -> list[str] | None:
    """The prefix that runs mount as root: none as root, sudo where it asks no password."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0:
        return ["sudo", "-n"]
    return None


AS_ROOT = _as_root()
pytestmark = pytest.mark.skipif(
    AS_ROOT is None, reason="mounting a small tmpfs needs root or passwordless sudo"
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB file system: room for a delivered batch, not for its stored copy too."""
    root = tmp_path / "data"
    root.mkdir()
    assert AS_ROOT is not None
    options = f"size=256k,uid={os.getuid()},gid={os.getgid()}"  # the test's user owns it
    subprocess.run(
        [*AS_ROOT, "mount", "-t", "tmpfs", "-o", options, "tmpfs", str(root)], check=True
    )
    try:
        yield root
    finally:
        subprocess.run([*AS_ROOT, "umount", str(root)], check=True)


def test_a_batch_that_does_not_fit_stays_in_the_inbox_and_leaves_no_partial_file(
    small_disk: Path, bundled: MnistArrays
) -> None:
    folders = Folders(small_disk)
    batch = MnistArrays(np.roll(bundled.images[:200], 1, axis=1), bundled.labels[:200])
    folders.drop("delivery.npz", batch)  # 157 KB of the 256 KiB
    result = folders.tick()
    assert not result.run_requests
    assert "could not store delivery.npz" in result.skip_message
    assert [p.name for p in folders.incoming.iterdir()] == ["delivery.npz"]
    stored = small_disk / "batches"
    assert not stored.exists() or not list(stored.iterdir())  # no partial file either
    # Once there is room again (the disk grows), the next tick stores it and asks for a run.
    subprocess.run(["mount", "-o", "remount,size=1m", str(small_disk)], check=True)
    (request,) = folders.tick().run_requests
    assert request.run_key == batch.content_hash()
