"""A process's heap after start-up: frozen out of the collector's passes, cycles still freed."""

from __future__ import annotations

import gc
import weakref

import pytest

from services.runtime import YOUNG_THRESHOLD, settle_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def collector():
    saved = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)


def test_objects_alive_at_start_are_frozen_and_young_passes_come_less_often(collector):
    kept = Node()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(kept) and not any(o is kept for o in gc.get_objects())  # in no pass
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


def test_a_cycle_made_after_start_up_is_still_freed(collector):
    settle_heap()
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None
