"""How a long-running gridflow process runs: cooperatively or not, and its garbage collector.

`gridflow serve` runs on gevent (see `services.serving`): every socket, database and Kafka call
yields to the other connections, but CPU-bound work (password hashing, photo decoding) would
stall every socket of the process for its whole duration. `offload` runs such work on gevent's
pool of real OS threads there (argon2 and Pillow release the GIL while they compute); in every
other process, and in tests, it simply calls the function.

The garbage collector of a long-running gridflow process (serve, relay, router, scheduler):

CPython frees almost every object of a request or an event by reference counting; its cyclic
collector still runs a young pass after every 700 new container objects, and now and then a
full pass over every object alive: the modules, the Kafka and database clients, the app and
the caches built at start: over a hundred thousand objects that live as long as the process.
In the router, 7,000 reports cost 210 passes, one of them full: ~18 µs per report, 4 % of its
CPU, most of it walking objects that were never garbage.

`settle_heap`, called once a process has built everything it keeps, moves those objects out of
the collector's sight (`gc.freeze`): later passes look only at what was made since. Young
passes then run every `YOUNG_THRESHOLD` new containers: a batch's short-lived objects (freed by
their reference counts anyway) no longer start several passes each. Cycles are still found and
freed, only a little later. Measured the same way with `settle_heap`: no full pass and about
one young pass over the 7,000 reports.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Collects what start-up left as garbage, then freezes everything still alive (the
    collector never looks at it again) and raises the young generation's threshold. Safe to
    call more than once: each call freezes what was built since."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def cooperative() -> bool:
    """Whether this process runs on gevent (its standard library monkey-patched at start)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


def offload(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a real OS thread when this process is cooperative (the calling greenlet
    waits, the others run on), else here. Exceptions propagate as raised."""
    if not cooperative():
        return work(*args)
    from gevent import get_hub

    return get_hub().threadpool.apply(work, args)


def bounded_semaphore(value: int) -> Any:
    """A bounded semaphore of `value` places for this process: gevent's own when it is
    cooperative, the standard library's otherwise (same acquire(timeout=)/release/with).

    The standard library's is a Condition over locks: under gevent every waiter it wakes must
    take the Condition's lock again, handed from greenlet to greenlet one turn of the event
    loop at a time. With thousands waiting (a `serve` restarted under 10,000 clients, its
    handshakes queued for 256 places), the places stayed free while the waiters queued for
    that lock: 1,000-2,800 greenlets waiting with 0-134 of 256 places taken, in a loop doing
    nothing else; gevent's semaphore hands a freed place straight to the next waiter (none
    left waiting with a place free)."""
    if cooperative():
        from gevent.lock import BoundedSemaphore

        return BoundedSemaphore(value)
    return threading.BoundedSemaphore(value)


class _Waiter:
    __slots__ = ("event", "granted", "abandoned")

    def __init__(self, event: Any) -> None:
        self.event, self.granted, self.abandoned = event, False, False


class NewestFirst:
    """`value` places handed to the newest waiter first: a stack, not a queue.

    Under overload a queue serves whoever has waited longest, and so, when callers give up
    after a while (a socket.io client abandons a connection not open within 20 s), the ones
    nearest to giving up, while the newest wait until they are as late: every place then goes
    to a caller with little time left, and most of the work done for them is lost. A stack
    serves the callers with the most time left; the oldest time out (the latency of the
    unlucky grows, the work done is kept). Same acquire(timeout=)/release as a semaphore;
    gevent's events when the process is cooperative, the standard library's otherwise."""

    def __init__(self, value: int) -> None:
        if cooperative():
            from gevent.event import Event
        else:
            from threading import Event
        self._event = Event
        self._free = value
        self._waiters: list[_Waiter] = []
        self._abandoned = 0
        self._lock = threading.Lock()

    def acquire(self, timeout: float | None = None) -> bool:
        with self._lock:
            if self._free > 0:
                self._free -= 1
                return True
            waiter = _Waiter(self._event())
            self._waiters.append(waiter)
        waiter.event.wait(timeout)
        with self._lock:
            if waiter.granted:
                return True
            waiter.abandoned = True  # left in place; release skips it
            self._abandoned += 1
            if self._abandoned > 1024 and self._abandoned * 2 > len(self._waiters):
                self._waiters = [w for w in self._waiters if not w.abandoned]
                self._abandoned = 0
            return False

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                waiter = self._waiters.pop()
                if waiter.abandoned:
                    self._abandoned -= 1
                    continue
                waiter.granted = True
                waiter.event.set()
                return
            self._free += 1

    def waiting(self) -> int:
        return len(self._waiters) - self._abandoned
