"""The Socket.IO server of an API process: authorization on connect, rooms, snapshot + replay,
and the watch that disconnects clients whose token expired or was revoked.

Protocol (namespace "/"):
    connect   auth = {"token": access token, "last_event_id": int, optional}
              refused (connect_error "unauthorized") without a valid token or a scope.
    ← snapshot   {server_time, last_event_id, principal, kpis, hourly, departments, cells,
                  cases, events (recent, first connect only), workers}; `cases` and `cells`
                  in columns (services.live.snapshot)
    ← replay     {after, events}: case events with id > after that the client may have
                 missed, oldest first. On a reconnect the window reaches back REPLAY_OVERLAP
                 ids below the client's cursor, because ids are handed out before commit
                 (clients drop ids they have already seen); on a first connect it starts at
                 the snapshot's last_event_id, below which everything is the page's history
    ← case_events [{id, event_id, type, at, actor, detail, case}, …]   live, by room: what one
                 read of the feed brought for the client's rooms, oldest first, in one packet
    ← worker_position {worker_id, lat, lng, t, cell_codes}       live, by room
    ← auth_expired {}   then the server disconnects
    → summary → ack {kpis, hourly, departments, cells (in columns)}
    → case_detail {case_id} → ack {case, timeline, photos} or {error}
    → token {token} → ack {ok}: a refreshed access token for the same account
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from flask import Flask, request
from flask_socketio import SocketIO, join_room
from sqlalchemy.exc import SQLAlchemyError

from services.auth.principal import Principal
from services.auth.tokens import InvalidToken, decode_access
from services.config import Config
from services.live import details, kpis, messages, queries, snapshot
from services.live.feed import LiveFeed
from services.live.positions import WorkerPosition, WorkerPositions
from services.live.rooms import rooms_for_principal, worker_rooms
from services.live.wire import OrjsonCodec, WirePacket

log = logging.getLogger(__name__)
REPLAY_OVERLAP = 100
REPLAY_MAX = 5000
# The snapshot's reads are independent (each on its own pooled connection): run side by side,
# a connect waits for the slowest one instead of their sum.
SNAPSHOT_READERS = 6


@dataclass
class Client:
    """A connected Socket.IO client: whose token it holds and when to check it again."""

    principal: Principal
    token: str
    expires_at: float
    next_check: float
    rooms: list[str] = field(default_factory=list)


class LiveServer:
    """The Socket.IO side of one API process. `start()` runs the fan-out and the token watch
    (the `serve` command calls it; apps built for tests stay passive until they do)."""

    def __init__(self, app: Flask, config: Config) -> None:
        self.app = app
        self.config = config
        self.engine = app.extensions["gridflow"].engine
        # Same-origin connections only (the default); the token in the connect auth, not a
        # cookie, is what authorizes a client anyway.
        self.socketio = SocketIO(
            app, async_mode="threading", logger=False, serializer=WirePacket, json=OrjsonCodec
        )
        self.positions = WorkerPositions()
        self.stop = threading.Event()
        self.feed: LiveFeed | None = None
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()
        self._readers = ThreadPoolExecutor(SNAPSHOT_READERS, thread_name_prefix="gridflow-snap")
        sio = self.socketio
        sio.on_event("connect", self.on_connect)
        sio.on_event("disconnect", self.on_disconnect)
        sio.on_event("summary", self.on_summary)
        sio.on_event("case_detail", self.on_case_detail)
        sio.on_event("token", self.on_token)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the Kafka fan-out and the token watch in background threads."""
        self.feed = LiveFeed(
            self.config, self.engine, self.publish, self.publish_batch, self.positions, self.stop
        )
        self.feed.start()
        threading.Thread(target=self._watch_tokens, name="gridflow-live-auth", daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        if self.feed is not None:
            self.feed.join(timeout=5)
        self._readers.shutdown(wait=False)

    def publish(self, event: str, message: Any, rooms: list[str]) -> None:
        """Emits to this process's clients in any of `rooms` (each client once); `message` is
        a dict or JSON text (an orjson.Fragment)."""
        self.socketio.emit(event, message, to=rooms)

    def publish_batch(self, event: str, messages: list[tuple[Any, list[str]]]) -> None:
        """Emits `event` once to each of this process's clients in a room of any of `messages`
        ((message, rooms) pairs): the list of the messages addressed to it, in their order.

        One packet per client and read of the feed, not one per message: at 300 reports a
        second the feed carries ~600 case events a second, and a packet each (encoded, queued,
        framed and written by the API process, then read and decoded by every page) cost the
        API process ~0.2 ms and a Python client ~0.5 ms of CPU per report."""
        participants = self.socketio.server.manager.get_participants
        lists: dict[str, list[Any]] = {}
        for message, rooms in messages:
            for sid, _ in participants("/", rooms):
                lists.setdefault(sid, []).append(message)
        for sid, batch in lists.items():
            self.socketio.emit(event, batch, to=sid)

    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)

    # --- handlers --------------------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        principal, token, expires_at = self._authenticate(auth.get("token"))
        rooms = rooms_for_principal(principal)
        if not rooms:
            raise ConnectionRefusedError({"code": "forbidden", "message": "no scope to watch"})
        last_seen = _cursor(auth.get("last_event_id"))
        message = self._snapshot(principal, first=last_seen is None)
        sid = request.sid  # type: ignore[attr-defined]
        for room in rooms:
            join_room(room)
        interval = self._check_interval()
        with self._lock:
            self._clients[sid] = Client(
                principal, token, expires_at, min(expires_at, time.time() + interval), rooms
            )
        self.socketio.emit("snapshot", message, to=sid)
        # A first connect's page drops every event at or below its snapshot's cursor (its
        # recent ones come in `events`): replaying the overlap below it cost as much as the
        # snapshot itself (a hundred events with their cases), for nothing.
        after = message["last_event_id"] if last_seen is None else last_seen - REPLAY_OVERLAP
        # After the snapshot, outside the connect handler: the client gets its snapshot as soon
        # as the connect is accepted, and the replay right after it.
        self.socketio.start_background_task(self._replay, sid, principal, max(0, after))

    def on_disconnect(self, *_: Any) -> None:
        with self._lock:
            self._clients.pop(request.sid, None)  # type: ignore[attr-defined]

    def on_summary(self, *_: Any) -> dict[str, Any]:
        client = self._client()
        if client is None:
            return {"error": "unauthorized"}
        data = kpis.summary(self.engine, client.principal)
        data["cells"] = snapshot.cell_load(self.engine, client.principal)
        return data

    def on_case_detail(self, data: Any = None) -> dict[str, Any]:
        client = self._client()
        if client is None:
            return {"error": "unauthorized"}
        case_id = data.get("case_id") if isinstance(data, dict) else None
        if not isinstance(case_id, str) or not case_id:
            return {"error": "invalid_input", "field": "case_id"}
        found = details.case_detail(self.engine, client.principal, case_id)
        return found if found is not None else {"error": "not_found", "field": "case_id"}

    def on_token(self, data: Any = None) -> dict[str, Any]:
        client = self._client()
        token = data.get("token") if isinstance(data, dict) else None
        if client is None or not isinstance(token, str):
            return {"ok": False}
        try:
            principal, token, expires_at = self._authenticate(token)
        except ConnectionRefusedError:
            return {"ok": False}
        if principal.user_id != client.principal.user_id:
            return {"ok": False}
        with self._lock:
            client.token, client.expires_at = token, expires_at
            client.next_check = min(expires_at, time.time() + self._check_interval())
        return {"ok": True}

    # --- internals -------------------------------------------------------------------------

    def _authenticate(self, token: Any) -> tuple[Principal, str, float]:
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError({"code": "unauthorized", "message": "token required"})
        try:
            principal = decode_access(self.config, self.engine, token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except (InvalidToken, jwt.PyJWTError) as exc:
            raise ConnectionRefusedError({"code": "unauthorized", "message": str(exc)}) from exc
        return principal, token, float(claims["exp"])

    def _client(self) -> Client | None:
        with self._lock:
            return self._clients.get(request.sid)  # type: ignore[attr-defined]

    def _check_interval(self) -> float:
        return max(0.2, float(self.config.live_auth_check_s))

    def _snapshot(self, principal: Principal, *, first: bool) -> dict[str, Any]:
        # The cursor first: whatever the reads below miss comes with the replay after it.
        last_id = queries.last_event_id(self.engine)
        engine, run = self.engine, self._readers.submit
        reads, build = kpis.summary_reads(engine, principal)
        parts = {name: run(read) for name, read in reads.items()}
        cases = run(snapshot.open_cases, engine, principal)
        cells = run(snapshot.cell_load, engine, principal)
        name = run(queries.scope_name, engine, principal)
        bounds = run(queries.scope_bounds, engine, principal) if first else None
        events = run(messages.recent_messages, engine, principal) if first else None
        data = build({name: part.result() for name, part in parts.items()})
        data.update(
            server_time=datetime.now(UTC).isoformat(),
            last_event_id=last_id,
            principal={
                "username": principal.username,
                "role": principal.role,
                "jurisdiction_code": principal.jurisdiction_code,
                "department_code": principal.department_code,
                "scope_name": name.result(),
            },
            cells=cells.result(),
            bounds=bounds.result() if bounds is not None else None,
            cases=cases.result(),
            events=events.result() if events is not None else [],
            workers=[p.as_message() for p in self.positions.fresh() if _sees(principal, p)],
        )
        return data

    def _replay(self, sid: str, principal: Principal, after: int) -> None:
        events: list[dict[str, Any]] = []
        cursor = after
        while len(events) < REPLAY_MAX:
            batch = queries.events_since(self.engine, principal, cursor)
            events.extend(batch)
            if len(batch) < 500:
                break
            cursor = batch[-1]["id"]
        self.socketio.emit("replay", {"after": after, "events": events}, to=sid)

    def _watch_tokens(self) -> None:
        while not self.stop.wait(0.2):
            now = time.time()
            with self._lock:
                due = [(sid, c) for sid, c in self._clients.items() if c.next_check <= now]
            for sid, client in due:
                try:
                    decode_access(self.config, self.engine, client.token)
                except InvalidToken:
                    log.info("live: disconnecting %s: token expired or revoked", sid)
                    self.socketio.emit("auth_expired", {}, to=sid)
                    self.socketio.server.disconnect(sid)
                    with self._lock:
                        self._clients.pop(sid, None)
                    continue
                except SQLAlchemyError as exc:  # the database is briefly away: check again soon
                    log.warning("live: token check failed: %s", exc)
                with self._lock:
                    client.next_check = min(client.expires_at, now + self._check_interval())


def _cursor(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 0 else None


def _sees(principal: Principal, position: WorkerPosition) -> bool:
    return bool(set(worker_rooms(position.cell_codes)) & set(rooms_for_principal(principal)))
