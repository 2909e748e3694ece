import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.idx import IdxFormatError, read_idx, write_idx
from mnist_assets.ml.data.sources import IdxDirectorySource
from mnist_assets_tests.conftest import write_idx_dir


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzipped"])
def test_round_trip(tmp_path: Path, compress: bool) -> None:
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x", array, compress)
    np.testing.assert_array_equal(read_idx(tmp_path / "x", 3), array)


def test_gzipped_output_is_byte_reproducible(tmp_path: Path) -> None:
    array = np.ones((3, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "a", array, compress=True)
    write_idx(tmp_path / "b", array, compress=True)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def _images_header(count: int, rows: int = 28, cols: int = 28) -> bytes:
    return struct.pack(">HBBIII", 0, 8, 3, count, rows, cols)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        # a labels file (1 dimension) where images were expected
        (struct.pack(">HBBI", 0, 8, 1, 2) + b"\0\0", "1 dimensions, expected 3"),
        # magic number of a float32 IDX file
        (struct.pack(">HBBIII", 0, 0x0D, 3, 1, 28, 28), "wrong magic number 0x00000d03"),
        # a text file renamed
        (b"hello world", "wrong magic number"),
        # header promises 2 images, data holds 1
        (_images_header(2) + bytes(28 * 28), "truncated: 800 bytes for shape \\[2, 28, 28\\]"),
        # extra bytes after the last image
        (_images_header(1) + bytes(28 * 28 + 5), "has trailing bytes"),
        # shorter than any header
        (b"\0\0", "too short for an IDX header"),
        # a gzip magic followed by garbage
        (b"\x1f\x8b" + b"garbage" * 4, "corrupt gzip stream"),
    ],
    ids=["wrong-ndim", "wrong-type", "not-idx", "truncated", "trailing", "tiny", "bad-gzip"],
)
def test_corrupt_files_name_the_file_and_problem(tmp_path: Path, payload: bytes, message: str):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(payload)
    with pytest.raises(IdxFormatError, match=message) as raised:
        read_idx(path, 3)
    assert str(path) in str(raised.value)


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_images_header(1) + bytes(28 * 28))[:-20])
    with pytest.raises(IdxFormatError, match="corrupt gzip stream"):
        read_idx(path, 3)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzipped"])
def test_directory_source_reads_both_pairs(tmp_path: Path, bundled: MnistArrays, compress: bool):
    write_idx_dir(tmp_path, bundled, compress=compress, train_count=4500)
    loaded = IdxDirectorySource(tmp_path).load()
    assert loaded.content_hash() == bundled.content_hash()


def test_directory_source_count_mismatch(tmp_path: Path, bundled: MnistArrays) -> None:
    write_idx_dir(tmp_path, bundled, compress=False, train_count=4500)
    write_idx(tmp_path / "train-labels-idx1-ubyte", bundled.labels[:4499])
    with pytest.raises(IdxFormatError, match="4500 images but train-labels-idx1-ubyte has 4499"):
        IdxDirectorySource(tmp_path).load()


def test_directory_source_wrong_dimensions(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 32, 32), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    with pytest.raises(IdxFormatError, match="train-images-idx3-ubyte: images are 32x32"):
        IdxDirectorySource(tmp_path).load()


def test_directory_source_missing_partner(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))
    with pytest.raises(IdxFormatError, match="its partner file is missing"):
        IdxDirectorySource(tmp_path).load()


def test_directory_source_empty_or_absent(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no MNIST IDX files"):
        IdxDirectorySource(tmp_path).load()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        IdxDirectorySource(tmp_path / "nowhere").load()
