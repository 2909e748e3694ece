import hashlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.sources import IdxDirectorySource, TorchvisionSource


def test_bundled_sample_is_real_balanced_mnist(bundled: MnistArrays) -> None:
    assert bundled.images.shape == (5000, 28, 28)
    assert bundled.images.dtype == np.uint8 and bundled.labels.dtype == np.uint8
    assert bundled.class_counts() == [500] * 10
    # Real digits: mostly background with bright strokes, not noise or blanks.
    assert 0.1 < (bundled.images > 0).mean() < 0.3
    assert bundled.images.max() == 255


@pytest.fixture
def mirror(idx_dir: Path) -> Iterator[str]:
    """A local HTTP server serving the gzipped IDX files, standing in for an MNIST mirror."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(idx_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _md5s(directory: Path) -> dict[str, str]:
    return {
        path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in directory.glob("*.gz")
    }


@pytest.mark.integration
def test_torchvision_source_downloads_from_mirror(
    tmp_path: Path, idx_dir: Path, mirror: str
) -> None:
    source = TorchvisionSource(root=tmp_path / "tv", mirror=mirror, md5=_md5s(idx_dir))
    loaded = source.load()
    assert loaded.content_hash() == IdxDirectorySource(idx_dir).load().content_hash()
    assert (tmp_path / "tv" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()
    # A second load reads what is on disk; the mirror may be gone by then.
    assert source.load().content_hash() == loaded.content_hash()


@pytest.mark.integration
def test_torchvision_source_verifies_checksums(tmp_path: Path, mirror: str) -> None:
    # No md5 given: torchvision's published checksums apply, and our files differ from MNIST's.
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte\.gz"):
        TorchvisionSource(root=tmp_path / "tv", mirror=mirror).load()
