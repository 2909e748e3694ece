from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_assets.ml.data.dataset import MnistArrays
from mnist_assets.ml.data.sources import BundledSource
from mnist_assets.ml.data.splits import image_hashes
from mnist_assets.ml.ingestion.batch_store import BatchStore, WithAcceptedBatches
from mnist_assets.ml.ingestion.batches import BatchError, BatchLimits, check_duplicates, read_batch
from mnist_assets.ml.ingestion.inbox import REASON_SUFFIX, Inbox

LIMITS = BatchLimits()


def _npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def _fresh_digits(bundled: MnistArrays, count: int) -> MnistArrays:
    """Real digits the bundled data does not hold: shifted one pixel to the right."""
    return MnistArrays(np.roll(bundled.images[:count], 1, axis=2), bundled.labels[:count])


def test_npz_uint8_and_float_pixels_read_the_same(tmp_path: Path, bundled: MnistArrays) -> None:
    images, labels = bundled.images[:20], bundled.labels[:20]
    as_uint8 = read_batch(_npz(tmp_path / "a.npz", images=images, labels=labels), LIMITS)
    floats = images.astype(np.float32) / 255.0
    as_float = read_batch(_npz(tmp_path / "b.npz", images=floats, labels=labels), LIMITS)
    assert np.array_equal(as_uint8.images, images) and np.array_equal(as_float.images, images)
    assert as_float.labels.dtype == np.uint8 and np.array_equal(as_float.labels, labels)


@pytest.mark.parametrize("layout", ["digit folders", "digit prefixes"])
def test_a_folder_of_pngs_reads_with_labels_from_names(
    tmp_path: Path, bundled: MnistArrays, layout: str
) -> None:
    folder = tmp_path / "drawn"
    for index in range(12):
        image, label = bundled.images[index], bundled.labels[index]
        name = f"{label}/{index:03d}.png" if layout == "digit folders" else f"{label}_{index}.png"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / name)
    batch = read_batch(folder, LIMITS)
    assert sorted(batch.labels.tolist()) == sorted(bundled.labels[:12].tolist())
    assert {image.tobytes() for image in batch.images} == {
        image.tobytes() for image in bundled.images[:12]
    }


GOOD = np.zeros((3, 28, 28), np.uint8)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images": GOOD}, r"lacks \['labels'\]"),
        ({"images": np.zeros((3, 28, 27), np.uint8), "labels": np.zeros(3, int)}, r"\[N, 28, 28\]"),
        ({"images": GOOD, "labels": np.zeros(2, int)}, "3 images but labels have shape"),
        ({"images": GOOD, "labels": np.array([1, 2, 10])}, "1 labels outside 0-9"),
        ({"images": GOOD, "labels": np.array([1.0, 2.0, 3.0])}, "expected integers"),
        ({"images": GOOD * 2.0, "labels": np.arange(3)}, None),  # floats in [0, 1]: fine
        ({"images": GOOD + 1.5, "labels": np.arange(3)}, r"span \[1.5, 1.5\]"),
        ({"images": np.full((3, 28, 28), np.nan), "labels": np.arange(3)}, "NaN"),
        ({"images": np.zeros((3, 28, 28), np.int64), "labels": np.arange(3)}, "uint8 or floats"),
        ({"images": np.zeros((0, 28, 28), np.uint8), "labels": np.zeros(0, int)}, "no images"),
    ],
)
def test_malformed_npz_batches_say_what_is_wrong(
    tmp_path: Path, arrays: dict, message: str | None
) -> None:
    path = _npz(tmp_path / "batch.npz", **arrays)
    if message is None:
        assert len(read_batch(path, LIMITS)) == 3
    else:
        with pytest.raises(BatchError, match=message):
            read_batch(path, LIMITS)


def test_files_that_are_not_batches_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    (tmp_path / "pngs").mkdir()
    Image.new("L", (32, 32)).save(tmp_path / "pngs" / "3_big.png")
    (tmp_path / "unlabelled").mkdir()
    Image.new("L", (28, 28)).save(tmp_path / "unlabelled" / "x.png")
    with pytest.raises(BatchError, match=r"expected a \.npz file or a folder of PNGs"):
        read_batch(tmp_path / "notes.txt", LIMITS)
    with pytest.raises(BatchError, match=r"not a readable \.npz"):
        read_batch(tmp_path / "broken.npz", LIMITS)
    with pytest.raises(BatchError, match="32x32, expected 28x28"):
        read_batch(tmp_path / "pngs", LIMITS)
    with pytest.raises(BatchError, match="no label"):
        read_batch(tmp_path / "unlabelled", LIMITS)


def test_size_limits_are_checked(tmp_path: Path, bundled: MnistArrays) -> None:
    path = _npz(tmp_path / "b.npz", images=bundled.images[:10], labels=bundled.labels[:10])
    with pytest.raises(BatchError, match="over 5"):
        read_batch(path, BatchLimits(max_images=5))
    with pytest.raises(BatchError, match="over the limit of 1,000"):
        read_batch(path, BatchLimits(max_bytes=1000))


def test_duplicates_within_the_batch_or_of_existing_data_are_refused(
    bundled: MnistArrays,
) -> None:
    fresh = _fresh_digits(bundled, 5)
    known = set(image_hashes(bundled.images))
    check_duplicates(fresh, known)  # new images: fine
    with pytest.raises(BatchError, match="2 of 5 images are already in the data"):
        images = fresh.images.copy()
        images[3:] = bundled.images[100:102]
        check_duplicates(MnistArrays(images, fresh.labels), known)
    with pytest.raises(BatchError, match="1 images repeat within the batch"):
        images = fresh.images.copy()
        images[4] = images[0]
        check_duplicates(MnistArrays(images, fresh.labels), known)


def test_the_store_appends_write_once_in_order(tmp_path: Path, bundled: MnistArrays) -> None:
    store = BatchStore(tmp_path / "batches")
    first, second = _fresh_digits(bundled, 5), _fresh_digits(bundled, 7)
    path = store.add(first)
    assert store.add(first) == path  # the same content is not added twice
    store.add(second)
    assert [p.name[:6] for p in store.batches()] == ["00001-", "00002-"]
    assert store.find(second.content_hash()) == store.batches()[1]
    assert not list(store.directory.glob(".*"))  # no partial files left behind

    data = WithAcceptedBatches(BundledSource(), store).load()
    assert len(data) == len(bundled) + 12
    assert np.array_equal(data.images[-7:], second.images)
    assert "2 accepted batches" in WithAcceptedBatches(BundledSource(), store).describe()


def _inbox(root: Path) -> Inbox:
    (root / "incoming").mkdir(parents=True, exist_ok=True)
    return Inbox(root / "incoming", root / "quarantine", BatchStore(root / "batches"), LIMITS)


def test_the_inbox_accepts_a_good_batch_and_quarantines_a_bad_one(
    tmp_path: Path, bundled: MnistArrays
) -> None:
    inbox = _inbox(tmp_path)
    fresh = _fresh_digits(bundled, 8)
    _npz(inbox.incoming / "good.npz", images=fresh.images, labels=fresh.labels)
    _npz(inbox.incoming / "bad.npz", images=fresh.images, labels=fresh.labels + 10)
    (inbox.incoming / ".uploading.npz").write_bytes(b"half")  # still being written: left alone
    assert [p.name for p in inbox.pending()] == ["bad.npz", "good.npz"]

    known = set(image_hashes(bundled.images))
    bad, good = (inbox.admit(path, known) for path in inbox.pending())
    assert good.accepted and good.batch is not None and len(good.batch) == 8
    assert not bad.accepted and "labels outside 0-9" in bad.detail
    assert [p.name for p in inbox.store.batches()] == [good.detail]
    (quarantined,) = inbox.quarantine.glob("*-bad.npz")
    reason = quarantined.with_name(quarantined.name + REASON_SUFFIX).read_text()
    assert "labels outside 0-9" in reason
    assert [p.name for p in inbox.incoming.iterdir()] == [".uploading.npz"]
    assert set(image_hashes(fresh.images)) <= known  # the accepted images now count as data


def test_a_batch_left_behind_after_acceptance_is_not_taken_twice(
    tmp_path: Path, bundled: MnistArrays
) -> None:
    inbox = _inbox(tmp_path)
    fresh = _fresh_digits(bundled, 4)
    stored = inbox.store.add(fresh)  # accepted, then a crash before the original was removed
    _npz(inbox.incoming / "again.npz", images=fresh.images, labels=fresh.labels)
    admission = inbox.admit(inbox.incoming / "again.npz", set(image_hashes(bundled.images)))
    assert admission.accepted and admission.detail == stored.name and admission.batch is None
    assert inbox.store.batches() == [stored] and not inbox.pending()
