"""Lookups of one API process's live server, made together.

Every CONNECT needs its session checked (still open, the account active, its current scope)
and, for a grid worker's phone, the open cases of its cells read. One statement each cost a
database round trip per client, and the statements' overhead in both processes; when a
`serve` restarts under thousands of clients they all ask at once, and a handful of statements
at a time, each waiting its turn on a busy database, let only a few dozen clients a second
back in. Here lookups are coalesced like the replay log's reads: a lookup joins the next
batch, the first caller that finds no batch running runs it (one statement for every key asked
meanwhile), and everyone in it gets the answer for their own key. A quiet process still
answers at once: a lone lookup is a batch of one. An answer is never kept for a later batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Batch(Generic[K, V]):
    keys: dict[K, None] = field(default_factory=dict)  # in the order asked
    waiting: int = 0
    found: dict[K, V] | None = None
    error: Exception | None = None


class Coalesced(Generic[K, V]):
    """`lookup(keys) -> {key: value}` (keys it has no value for left out), called once per
    batch of concurrent `get`s (see the module's docstring)."""

    def __init__(self, lookup: Callable[[list[K]], dict[K, V]]) -> None:
        self._lookup = lookup
        self._cv = threading.Condition()
        self._batches: dict[int, _Batch[K, V]] = {}
        self._next = 0  # the batch new lookups join (batches before it have started)
        self._done = -1  # the last batch answered (batches end in order: one runs at a time)
        self._running = False

    def get(self, key: K) -> V | None:
        """The value of `key` (None when the lookup has none), from a lookup that started after
        this call. A lookup's error is raised to every caller of its batch."""
        with self._cv:
            number = self._next
            batch = self._batches.setdefault(number, _Batch())
            batch.keys[key] = None
            batch.waiting += 1
            while self._done < number:
                if self._running:
                    self._cv.wait()
                    continue
                self._run()  # no batch runs and ours has not: ours is the next one
            batch.waiting -= 1
            if batch.waiting == 0:
                del self._batches[number]
        if batch.error is not None:
            raise batch.error
        assert batch.found is not None
        return batch.found.get(key)

    def _run(self) -> None:
        """Runs batch `_next` (called holding the lock; releases it while the lookup runs)."""
        batch = self._batches[self._next]
        self._next += 1
        self._running = True
        self._cv.release()
        try:
            batch.found = self._lookup(list(batch.keys))
        except Exception as exc:  # handed to every caller of the batch, re-raised there
            batch.error = exc
        finally:
            if batch.found is None and batch.error is None:  # the caller running it was killed
                batch.error = RuntimeError("the lookup was interrupted")
            self._cv.acquire()
            self._running = False
            self._done += 1
            self._cv.notify_all()
