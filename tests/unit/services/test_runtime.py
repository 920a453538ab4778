"""A process's heap after start-up: frozen out of the collector's passes, cycles still freed;
places handed newest first."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest

from services.runtime import YOUNG_THRESHOLD, NewestFirst, settle_heap


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


def test_a_cooperative_processs_semaphore_never_keeps_a_waiter_from_a_free_place():
    """4,000 handshakes over 2 s for 256 places, each held 0-100 ms (about 100 held at a
    time): none should wait while a place is free. The standard library's semaphore (a
    Condition over locks that gevent patches) kept 1,000-2,800 waiting with most places
    free; gevent's, which `bounded_semaphore` gives a cooperative process, none."""
    import subprocess
    import sys
    import threading

    from services.runtime import bounded_semaphore

    assert type(bounded_semaphore(2)) is threading.BoundedSemaphore  # this process: threads
    # Counted by a sampler every 5 ms: handshakes waiting while places are free (on a loaded
    # host the holds stretch and all places may be taken: waiting then is no fault).
    probe = (
        "from gevent import monkey; monkey.patch_all()\n"
        "import random, gevent\n"
        "from services.runtime import bounded_semaphore\n"
        "places, seen = bounded_semaphore(256), {'waiting': 0, 'most': 0, 'done': False}\n"
        "def free():\n"
        "    return places.counter if hasattr(places, 'counter') else places._value\n"
        "def sampler():\n"
        "    while not seen['done']:\n"
        "        seen['most'] = max(seen['most'], min(seen['waiting'], free()))\n"
        "        gevent.sleep(0.005)\n"
        "def handshake():\n"
        "    gevent.sleep(random.random() * 2)\n"
        "    seen['waiting'] += 1\n"
        "    assert places.acquire(timeout=30)\n"
        "    seen['waiting'] -= 1\n"
        "    gevent.sleep(random.random() * 0.1)\n"
        "    places.release()\n"
        "watch = gevent.spawn(sampler)\n"
        "gevent.joinall([gevent.spawn(handshake) for _ in range(4000)])\n"
        "seen['done'] = True\n"
        "watch.join()\n"
        "print(seen['most'])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 50, f"{done.stdout.strip()} handshakes waited with places free"


def test_a_freed_handshake_place_goes_to_the_newest_waiter():
    """Under a crowd the places go newest first: a queue would hand each to the handshake that
    has waited longest, whose client is the nearest to giving up."""
    places = NewestFirst(1)
    assert places.acquire(timeout=0)
    order: list[str] = []

    def wait(name: str) -> None:
        if places.acquire(timeout=5):
            order.append(name)

    waiters = []
    for name in ("oldest", "middle", "newest"):
        waiters.append(threading.Thread(target=wait, args=(name,)))
        waiters[-1].start()
        deadline = time.monotonic() + 5
        while places.waiting() < len(waiters) and time.monotonic() < deadline:
            time.sleep(0.001)
    for expected in (["newest"], ["newest", "middle"], ["newest", "middle", "oldest"]):
        places.release()
        deadline = time.monotonic() + 5
        while len(order) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert order == expected
    for waiter in waiters:
        waiter.join()
    # A waiter that timed out is skipped: the place stays free for the next caller.
    assert not places.acquire(timeout=0.01)
    places.release()
    assert places.acquire(timeout=0) and places.waiting() == 0
