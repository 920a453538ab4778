"""Command-center pages as a drill sees them: Socket.IO clients that reconnect on their own
with the last event id they hold (as the page does), and record every case event id they got
live or by replay.

Like the page, a watcher moves its cursor (the `last_event_id` it reconnects with) only with
what a completed connection delivered: the replay, then the live events after it. Live events
that arrive while a connection is still being set up are kept but do not move the cursor, so a
connection that drops before its replay arrives is asked for again from the old cursor.
"""

from __future__ import annotations

import threading
import time

import socketio

CONNECT_TIMEOUT_S = 20.0  # as long as the browser client waits for a connection


class Watcher:
    """One page on the live feed of `url` with `token`."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.baseline: int | None = None  # last_event_id of the first snapshot
        self.cursor: int | None = None
        self.ids: set[int] = set()
        self.connects = 0
        self.replays: list[tuple[int, int, int | None]] = []  # (after, events, highest id)
        self._synced = False
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("snapshot", self._snapshot)
        self.sio.on("replay", self._replay)
        self.sio.on("case_events", self._events)
        self.sio.on("disconnect", self._disconnected)
        self._reconnector: threading.Thread | None = None

    def _auth(self) -> dict:
        with self._lock:
            self._synced = False
            auth: dict = {"token": self.token}
            if self.cursor is not None:
                auth["last_event_id"] = self.cursor
            return auth

    def _connect(self) -> None:
        self.sio.connect(self.url, auth=self._auth(), transports=["websocket"],
                         wait_timeout=CONNECT_TIMEOUT_S)  # fmt: skip
        with self._lock:
            self.connects += 1

    def open(self) -> Watcher:
        self._connect()
        deadline = time.monotonic() + 15
        while self.baseline is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.baseline is not None, "no snapshot"
        return self

    def _disconnected(self, *_: object) -> None:
        if self._closing.is_set() or (self._reconnector and self._reconnector.is_alive()):
            return
        self._reconnector = threading.Thread(target=self._reconnect, daemon=True)
        self._reconnector.start()

    def _reconnect(self) -> None:
        delay = 0.3
        while not self._closing.is_set():
            time.sleep(delay)
            try:
                self.sio.disconnect()
                self._connect()
                return
            except socketio.exceptions.ConnectionError:
                delay = min(delay * 2, 2.0)

    def _snapshot(self, data) -> None:
        with self._lock:
            if self.baseline is None:
                self.baseline = self.cursor = int(data["last_event_id"])

    def _replay(self, data) -> None:
        ids = [int(e["id"]) for e in data.get("events", ())]
        with self._lock:
            self.ids.update(ids)
            self.replays.append((int(data.get("after", -1)), len(ids), max(ids, default=None)))
            self.cursor = max([self.cursor or 0, *ids])
            self._synced = True

    def _events(self, messages) -> None:
        with self._lock:
            for data in messages:
                self.ids.add(int(data["id"]))
                if self._synced:
                    self.cursor = max(self.cursor or 0, int(data["id"]))

    def missing(self, expected: set[int]) -> set[int]:
        """The ids of `expected` above the baseline this page has not received."""
        with self._lock:
            return {i for i in expected if i > (self.baseline or 0)} - self.ids

    def close(self) -> None:
        self._closing.set()
        self.sio.disconnect()
        self.sio.shutdown()
