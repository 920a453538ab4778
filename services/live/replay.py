"""The replay log of an API process: the recent case events of every scope, by id, indexed by
room, read from the database in ranges and shared by every client that reconnects.

When a `serve` restarts under 10,000 clients, each comes back with its cursor and needs the
events of its rooms since then. Asked one by one, that was a query per client (a district
operator's: thousands of events, each with its case); here one read of the id range since the
oldest cursor serves all of them, and each client's replay is the merge of its rooms' id lists
(a grid worker's: a cell's handful).

Reads are coalesced: a client's replay waits for a read that started after it asked, so it
sees every event committed before it joined its rooms (later ones reach it live), and all the
clients that ask while a read runs share the next one. At most `keep` events are held; a
cursor older than that gets what is held, marked `cut` (the state is whole anyway: every
connect brings a snapshot).

Ids are handed out before commit, so events do not become visible in id order: a router's
batch of hundreds of events commits after events with higher ids. Two consequences:
- an id missing from a read's range is a gap the next reads ask for again (until it has been
  missing GAP_TTL_S and a read did not find it: a rolled-back transaction's id never comes);
  the log never keeps a hole where a late event committed;
- a cursor (the highest id a client saw) does not mean it saw every lower id. A reconnecting
  client's replay also holds its rooms' events below the cursor that were written at most
  REPLAY_REACH_S before the cursor's event (and at most REPLAY_REACH_IDS ids below it): an
  event committed after the client left may have an id far below the cursor (a fixed
  overlap of 100 ids missed tens of thousands of them with 20,000 clients under load).
  Clients drop the ids they have already seen.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Iterable

import orjson
from sqlalchemy import Engine

from services.live.messages import messages_between
from services.live.queries import last_event_id

log = logging.getLogger(__name__)
# Below a reconnecting client's cursor, the events written up to this long before the cursor's
# event, no further back than this many ids (see the module's docstring).
REPLAY_REACH_S = 10.0
REPLAY_REACH_IDS = 20_000
# Without the cursor's event (held no more), this many ids below it.
REPLAY_OVERLAP = 100
# A missing id asked for again until it has been missing this long (then: rolled back).
GAP_TTL_S = 60.0
# A replay goes out in packets of at most this many events (a district's page may be owed
# tens of thousands after a restart).
REPLAY_PACKET = 1000


def packets(events: list, after: int, cut: bool, size: int = REPLAY_PACKET) -> list[dict]:
    """A replay's messages: `events` (oldest first) in packets of at most `size`, each saying
    whether `more` follow; one packet, maybe empty, when there is nothing to replay."""
    last = max(0, len(events) - 1) // size
    return [
        {"after": after, "events": events[k * size : (k + 1) * size], "more": k < last, "cut": cut}
        for k in range(last + 1)
    ]


class ReplayLog:
    """Recent case events of every scope (see the module's docstring)."""

    def __init__(self, engine: Engine, keep: int = 50_000) -> None:
        self.engine = engine
        self.keep = keep
        self._bodies: dict[int, orjson.Fragment] = {}
        self._at: dict[int, float] = {}  # each held event's time (epoch seconds)
        self._rooms: dict[str, list[int]] = {}
        self._gaps: dict[int, float] = {}  # id missing from a read → when first missed
        self._lo = -1  # every committed event with lo < id <= hi is held, or is a gap
        self._hi = -1
        self._cv = threading.Condition()
        self._started = 0
        self._done = 0
        self._running = False
        self._want_after: int | None = None

    def since(
        self, rooms: Iterable[str], cursor: int, reach: bool = True
    ) -> tuple[list[orjson.Fragment], bool]:
        """The messages of the events in `rooms` with an id above `cursor`, oldest first, and
        (`reach`) those below it written at most REPLAY_REACH_S before the cursor's event:
        every event committed before the call is among them, unless the cursor is older than
        what the log holds (then the second value, `cut`, is True and the oldest are missing)."""
        floor = max(0, cursor - REPLAY_REACH_IDS) if reach else cursor
        self._read_after(floor)
        with self._cv:
            ids: set[int] = set()
            at = self._at.get(cursor)
            since_at = at - REPLAY_REACH_S if at is not None else None
            lowest = floor if since_at is not None else max(floor, cursor - REPLAY_OVERLAP)
            for room in rooms:
                held = self._rooms.get(room, ())
                ids.update(held[bisect.bisect_right(held, cursor) :])
                below = bisect.bisect_left(held, cursor)  # the cursor's own event was seen
                for seq in held[bisect.bisect_right(held, lowest) : below]:
                    if since_at is None or self._at[seq] >= since_at:
                        ids.add(seq)
            return [self._bodies[i] for i in sorted(ids)], cursor < self._lo

    def _read_after(self, after: int) -> None:
        """Waits for a read that starts after this call (starting it when none runs)."""
        with self._cv:
            self._want_after = after if self._want_after is None else min(self._want_after, after)
            wanted = self._started + 1
            while self._done < wanted:
                if self._running:
                    self._cv.wait()
                    continue
                self._running = True
                self._started += 1
                generation, want = self._started, self._want_after
                self._want_after = None
                self._cv.release()
                read = False
                try:
                    started = time.monotonic()
                    rows, lo, hi, asked = self._read(want if want is not None else after)
                    log.debug(
                        "replay log: read %d events (%d, %d] in %.0f ms",
                        len(rows), lo, hi, (time.monotonic() - started) * 1000,
                    )  # fmt: skip
                    read = True
                finally:
                    self._cv.acquire()
                    self._running = False
                    if not read and want is not None:  # the next read covers it again
                        held = self._want_after
                        self._want_after = want if held is None else min(want, held)
                    # After a failed read (raised to its caller) a waiter starts the next one.
                    self._cv.notify_all()
                self._store(rows, lo, hi, asked)
                self._done = generation

    def _read(self, after: int) -> tuple[list, int, int, list[int]]:
        """Reads what is missing for a replay above `after` (outside the lock): the ids past
        what is held and the gaps below it."""
        upto = last_event_id(self.engine)
        start = max(after, upto - self.keep)
        if self._hi > self._lo and start >= self._lo:
            start = self._hi  # held from lo: only what is past it, and the gaps
        with self._cv:
            gaps = sorted(self._gaps)
        rows = messages_between(self.engine, start, upto, also=[g for g in gaps if g <= start])
        return rows, start, upto, gaps

    def _store(self, rows: list, lo: int, hi: int, asked: list[int]) -> None:
        now = time.monotonic()
        found = set()
        for seq, at, rooms, body in rows:
            found.add(seq)
            self._at[seq] = at
            if seq in self._bodies:
                self._bodies[seq] = body
                continue
            self._bodies[seq] = body
            for room in rooms:
                held = self._rooms.setdefault(room, [])
                if not held or seq > held[-1]:
                    held.append(seq)  # reads come oldest first: almost always at the end
                else:
                    bisect.insort(held, seq)
        for seq in range(lo + 1, hi + 1):
            if seq not in found and seq not in self._gaps:
                self._gaps[seq] = now
        for seq in asked:  # asked again: kept while missing, until it is old enough
            if seq in found or now - self._gaps.get(seq, now) >= GAP_TTL_S:
                self._gaps.pop(seq, None)
        if self._hi <= self._lo or lo < self._lo:
            self._lo = lo if self._hi <= self._lo else min(self._lo, lo)
        self._hi = max(self._hi, hi)
        self._trim()

    def _trim(self) -> None:
        floor = self._hi - self.keep
        if self._lo >= floor:
            return
        self._lo = floor
        for seq in [s for s in self._bodies if s <= floor]:
            del self._bodies[seq]
            del self._at[seq]
        for seq in [s for s in self._gaps if s <= floor]:
            del self._gaps[seq]
        for room, held in list(self._rooms.items()):
            cut = bisect.bisect_right(held, floor)
            if cut == len(held):
                del self._rooms[room]
            elif cut:
                del held[:cut]
