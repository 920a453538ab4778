"""Sign-in checks of one API process's live server, made together.

Every CONNECT (and every renewed token) needs its session looked up: still open, its account
still active, and the account's current scope. One statement each cost a database round trip
per client; when a `serve` restarts under thousands of clients they all ask at once. Here the
checks are coalesced like the replay log's reads: a check joins the next batch, the first caller
that finds no batch running runs it (one statement for every session asked meanwhile,
services.auth.users.sessions_principals), and everyone in it gets the answer for their own
session. A quiet process still answers at once: a lone check is a batch of one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from services.auth.principal import Principal

Lookup = Callable[[list[uuid.UUID]], dict[uuid.UUID, Principal]]


@dataclass
class _Batch:
    ids: set[uuid.UUID] = field(default_factory=set)
    waiting: int = 0
    found: dict[uuid.UUID, Principal] | None = None
    error: Exception | None = None


class SignIns:
    """Coalesced session checks (see the module's docstring)."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._cv = threading.Condition()
        self._batches: dict[int, _Batch] = {}
        self._next = 0  # the batch new checks join (batches before it have started)
        self._done = -1  # the last batch answered (batches end in order: one runs at a time)
        self._running = False

    def principal(self, session_id: uuid.UUID, user_id: int) -> Principal | None:
        """The current Principal of `user_id` if `session_id` is its open session and the
        account is active; None otherwise. Database errors propagate to every caller of the
        batch."""
        with self._cv:
            number = self._next
            batch = self._batches.setdefault(number, _Batch())
            batch.ids.add(session_id)
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
        found = batch.found.get(session_id)
        return found if found is not None and found.user_id == user_id else None

    def _run(self) -> None:
        """Runs batch `_next` (called holding the lock; releases it while the statement runs)."""
        batch = self._batches[self._next]
        self._next += 1
        self._running = True
        self._cv.release()
        try:
            batch.found = self._lookup(sorted(batch.ids))
        except Exception as exc:  # handed to every caller of the batch, re-raised there
            batch.error = exc
        finally:
            self._cv.acquire()
            self._running = False
            self._done += 1
            self._cv.notify_all()
