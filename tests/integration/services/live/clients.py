"""A Socket.IO client for the live tests: python-socketio over WebSocket, recording every
message it receives so a test can wait for one or prove one never came. Live case events come
in `case_events` packets (a list each); every message of one is also recorded as `case_event`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import socketio

EVENTS = ("snapshot", "replay", "case_events", "worker_position", "auth_expired")


def rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    """The rows of a message part sent in columns (one list per field, row i in each)."""
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def snapshot_cases(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's cases as a page reads them: one dict per case, most recent first, with
    its category's names (`gf.snapshotCases`)."""
    names = snapshot["cases"]["categories"]
    return [
        {**case, "category": names.get(case["category_code"])}
        for case in rows(snapshot["cases"]["columns"])
    ]


class LiveClient:
    """One connection as a page would open it: token (and cursor) in the connect auth."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None):
        self.url = url
        self.sio = socketio.Client(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.disconnected = threading.Event()
        self._cond = threading.Condition()
        for name in EVENTS:
            self.sio.on(name, self._recorder(name))
        self.sio.on("disconnect", lambda *_: self.disconnected.set())
        auth: dict[str, Any] = {"token": token}
        if last_event_id is not None:
            auth["last_event_id"] = last_event_id
        self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any = None) -> None:
            with self._cond:
                self.received.append((name, data))
                if name == "case_events":  # each message of the batch also on its own
                    self.received += [("case_event", message) for message in data]
                self._cond.notify_all()

        return record

    def messages(self, name: str) -> list[Any]:
        with self._cond:
            return [d for n, d in self.received if n == name]

    def wait_for(
        self, name: str, predicate: Callable[[Any], bool] = lambda _: True, timeout_s: float = 5.0
    ) -> Any:
        """The first `name` message matching `predicate`; fails the test after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for n, data in self.received:
                    if n == name and predicate(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {name} message in {timeout_s} s: {self.received}")
                self._cond.wait(left)

    def case_event_ids(self) -> list[int]:
        ids = [m["id"] for m in self.messages("case_event")]
        for batch in self.messages("replay"):
            ids += [m["id"] for m in batch["events"]]
        return ids

    def call(self, event: str, data: Any = None) -> Any:
        return self.sio.call(event, data or {}, timeout=10)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
        self.sio.shutdown()
