"""What the worker freezes out of the collector's sight is still freed, and frozen garbage is
reclaimed by the periodic full collection."""

import gc
import weakref
from collections.abc import Iterator

import pytest

from mnist_assets.serving.frozen_heap import FrozenHeap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def heap() -> Iterator[FrozenHeap]:
    yield FrozenHeap(freeze_every=10, full_every=30)
    gc.unfreeze()  # leave the test process as it was


def test_young_garbage_is_collected_before_each_freeze(heap: FrozenHeap) -> None:
    for _ in range(9):
        heap.tick()
    cycle = weakref.ref(Node())  # garbage, not yet collected
    heap.tick()  # the 10th request: young generations collected, then frozen
    assert cycle() is None


class Plain:
    """No cycle: reference counting frees it."""


def test_frozen_objects_are_still_freed_by_reference_counting(heap: FrozenHeap) -> None:
    plain = Plain()
    ref = weakref.ref(plain)
    for _ in range(10):
        heap.tick()  # frozen while alive
    assert gc.get_freeze_count() > 0
    del plain
    assert ref() is None


def test_garbage_that_froze_is_reclaimed_by_the_full_collection(heap: FrozenHeap) -> None:
    node = Node()
    cycle = weakref.ref(node)
    for _ in range(10):
        heap.tick()  # frozen while alive
    del node
    for _ in range(19):
        heap.tick()  # a freeze at 20 and young collections: a frozen cycle is out of sight
    assert cycle() is not None
    heap.tick()  # the 30th: everything unfrozen, collected, frozen again
    assert cycle() is None
