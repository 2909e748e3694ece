"""Ingestion never stops on one bad entry: each kind is quarantined beside a good batch."""

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.ingestion.inbox import REASON_SUFFIX
from mnist_assets_tests.test_defs.conftest import Folders


def _png(size: tuple[int, int] = (28, 28)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 0).save(buffer, format="PNG")
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...]) -> bytes:
    """The magic string and header of an .npy file of uint8 values of ``shape``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def renamed_npy(incoming: Path, outside: Path) -> str:
    np.save(incoming / "images.npy", np.zeros((3, 28, 28), np.uint8))
    (incoming / "images.npy").rename(incoming / "renamed.npz")
    return "renamed.npz"


def deflate_bomb(incoming: Path, outside: Path) -> str:
    """20 images declared, 64 MB of zeros behind them: a few kB on disk."""
    with zipfile.ZipFile(incoming / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((20, 28, 28)))
            chunk = bytes(1 << 20)
            for _ in range(64):
                member.write(chunk)
        labels = io.BytesIO()
        np.save(labels, np.zeros(20, np.int64))
        archive.writestr("labels.npy", labels.getvalue())
    return "bomb.npz"


def fifo(incoming: Path, outside: Path) -> str:
    os.mkfifo(incoming / "pipe.npz")  # opening it would wait for a writer forever
    return "pipe.npz"


def link_to_folder(incoming: Path, outside: Path) -> str:
    target = outside / "pngs" / "7"
    target.mkdir(parents=True)
    (target / "a.png").write_bytes(_png())
    (incoming / "linked").symlink_to(outside / "pngs", target_is_directory=True)
    return "linked"


def bomb_header_png(incoming: Path, outside: Path) -> str:
    """A small PNG whose header declares 20,000 x 20,000 pixels."""
    data = bytearray(_png((1, 1)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", 20_000, 20_000)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    (incoming / "huge" / "7").mkdir(parents=True)
    (incoming / "huge" / "7" / "a.png").write_bytes(bytes(data))
    return "huge"


def truncated_png(incoming: Path, outside: Path) -> str:
    (incoming / "cut" / "3").mkdir(parents=True)
    (incoming / "cut" / "3" / "a.png").write_bytes(_png()[:40])
    return "cut"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (renamed_npy, "is not a readable .npz archive"),  # an .npy file named .npz
        (deflate_bomb, "refused before decompressing"),  # 64 MB behind a 20-image header
        (fifo, "is a FIFO, not a regular file or folder: left unopened"),
        (link_to_folder, "is a symbolic link, not a regular file or folder: left unopened"),
        (bomb_header_png, "is not a readable PNG"),  # refused from its header alone
        (truncated_png, "is not a readable PNG"),
    ],
)
def test_a_bad_entry_is_quarantined_and_the_good_batch_beside_it_is_ingested(
    make: Callable[[Path, Path], str],
    reason: str,
    folders: Folders,
    new_batch: MnistArrays,
    tmp_path: Path,
) -> None:
    name = make(folders.incoming, tmp_path)
    folders.drop("good.npz", new_batch)
    (request,) = folders.tick().run_requests
    assert request.run_key == new_batch.content_hash()
    assert folders.accepted() == [f"00001-{new_batch.content_hash()}.npz"]
    assert not list(folders.incoming.iterdir())  # nothing left to fail the next tick
    quarantine = folders.root / "quarantine"
    (note,) = quarantine.glob(f"*-{name}{REASON_SUFFIX}")
    assert reason in note.read_text()
    (moved,) = [p for p in quarantine.iterdir() if p.name.endswith(f"-{name}")]
    if make is link_to_folder:  # the link moved; what it pointed at is untouched
        assert moved.is_symlink() and (tmp_path / "pngs" / "7" / "a.png").exists()
