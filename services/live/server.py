"""The Socket.IO server of an API process: authorization on connect, rooms, snapshot + replay,
and the watch that disconnects clients whose token expired or was revoked.

The protocol (events, their payloads, rate limits) is in the package docstring.

Admission (services.live.admission): a handshake beyond the process's or the address's cap is
refused with 503/429 and Retry-After; a transport that has not signed in within
`live_connect_timeout_s`, or whose CONNECT was refused, is closed. Scopes follow the account
(services.live.clients): rooms change, or the socket is cut, within `live_auth_check_s`, or
at once when the account changed anywhere (services.live.accounts). What goes out to the
clients, and what happens to a client that reads too slowly, is in services.live.fanout.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO
from sqlalchemy.exc import SQLAlchemyError

from services.auth.principal import GRID_WORKER, Principal
from services.auth.users import sessions_principals
from services.config import Config
from services.live import details, kpis, snapshot
from services.live.accounts import AccountChanges
from services.live.admission import Admission
from services.live.clients import (
    Client,
    Clients,
    Refused,
    apply_scope,
    authenticate,
    cursor,
    refusal,
)
from services.live.coalesce import Coalesced
from services.live.fanout import NAMESPACE, Fanout
from services.live.feed import LiveFeed
from services.live.positions import WorkerPosition, WorkerPositions
from services.live.replay import ReplayLog, packets
from services.live.rooms import rooms_for_principal, worker_rooms
from services.live.wire import OrjsonCodec, WirePacket
from services.runtime import bounded_semaphore, cooperative
from services.store.db import make_engine

log = logging.getLogger(__name__)
# The snapshot's reads are independent (each on its own pooled connection): run side by side,
# a connect waits for the slowest one instead of their sum.
SNAPSHOT_READERS = 6
# Snapshots built at once: a reconnect storm queues for these instead of taking every database
# connection the HTTP API needs.
SNAPSHOT_BUILDS = 4
# Connects handled at once, their lookups batched (services.live.coalesce); the others wait.
CONNECTS_AT_ONCE = 256
# The live server's own database connections (kept open; as many again opened when busy).
LIVE_POOL_SIZE = 16
LIVE_POOL_TIMEOUT_S = 10.0
EIO_SID_KEY = "gridflow.live.eio_sid"


class LiveServer:
    """The Socket.IO side of one API process. `start()` runs the fan-out and the token watch
    (the `serve` command calls it; apps built for tests stay passive until they do)."""

    def __init__(self, app: Flask, config: Config) -> None:
        self.app = app
        self.config = config
        # Capacity of its own: the sockets' reads never take the connections HTTP requests need.
        self.engine = make_engine(
            config.database_url, pool_size=LIVE_POOL_SIZE, timeout_s=LIVE_POOL_TIMEOUT_S,
            pre_ping=False,
        )  # fmt: skip
        # Same-origin connections only (the default); the token in the connect auth, not a
        # cookie, is what authorizes a client anyway.
        self.socketio = SocketIO(
            app,
            async_mode="gevent" if cooperative() else "threading",
            logger=False,
            serializer=WirePacket,
            json=OrjsonCodec,
        )
        self.positions = WorkerPositions()
        self.stop = threading.Event()
        self.feed: LiveFeed | None = None
        self.clients = Clients(config.live_auth_check_s, config.live_event_rate_per_s)
        self.sessions = Coalesced(lambda ids: sessions_principals(self.engine, ids))
        self.phones = Coalesced(lambda workers: snapshot.workers_cases(self.engine, workers))
        self._readers = ThreadPoolExecutor(SNAPSHOT_READERS, thread_name_prefix="gridflow-snap")
        self._builds = bounded_semaphore(SNAPSHOT_BUILDS)
        self._connects = bounded_semaphore(CONNECTS_AT_ONCE)
        self._shared = snapshot.SharedSnapshots()
        self.replay_log = ReplayLog(self.engine)
        self.eio = self.socketio.server.eio
        self.admission = Admission(config, self.eio.disconnect)
        app.wsgi_app = self.admission.wrap(app.wsgi_app)  # type: ignore[method-assign]
        self._hook_transports()
        self.fanout = Fanout(self.socketio, self.clients, self._close_transport)
        self.publish, self.publish_batch = self.fanout.publish, self.fanout.publish_batch
        self.close_sockets = self.fanout.close_sockets
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
        self.account_changes = AccountChanges(self.engine, self.clients)
        threading.Thread(target=self._watch, name="gridflow-live-watch", daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        if self.feed is not None:
            self.feed.join(timeout=5)
            self.account_changes.close()
        self._readers.shutdown(wait=False)
        self.engine.dispose()

    # --- handlers --------------------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        eio_sid = request.environ.get(EIO_SID_KEY)
        if eio_sid is not None:  # its CONNECT came: no longer timed, whatever the queue
            self.admission.signed_in(eio_sid)
        try:
            with self._connects:
                self._connect(auth, eio_sid)
        except SQLAlchemyError as exc:  # the database is away or saturated: come back later
            log.warning("live: connect refused: %s", exc)
            if eio_sid is not None:
                self.socketio.start_background_task(self._close_transport, eio_sid)
            raise refusal("unavailable", "try again shortly") from exc
        except Refused:
            if eio_sid is not None:  # the refusal goes out first, then the transport closes
                self.socketio.start_background_task(self._close_transport, eio_sid)
            raise

    def _connect(self, auth: dict[str, Any], eio_sid: str | None) -> None:
        principal, token, claims = authenticate(self.config, self.sessions, auth.get("token"))
        rooms = rooms_for_principal(principal)
        if not rooms:
            raise refusal("forbidden", "no scope to watch")
        last_seen = cursor(auth.get("last_event_id"))
        message = self._snapshot(principal, first=last_seen is None)
        sid = request.sid  # type: ignore[attr-defined]
        server = self.socketio.server
        for room in rooms:
            server.enter_room(sid, room, namespace=NAMESPACE)
        client = Client(principal, token, claims.session_id, claims.expires_at, 0.0, eio_sid, rooms)
        self.clients.add(sid, client)
        self.socketio.emit("snapshot", message, to=sid)
        # A first connect's page drops every event at or below its snapshot's cursor (its
        # recent ones come in `events`); a reconnect's replay reaches below its cursor
        # (services.live.replay). It goes out after the snapshot, outside this handler.
        first = last_seen is None
        after = message["last_event_id"] if first else last_seen
        self.socketio.start_background_task(self._replay, sid, max(0, after), not first)

    def on_disconnect(self, *_: Any) -> None:
        self.clients.remove(request.sid)  # type: ignore[attr-defined]

    def on_summary(self, *_: Any) -> dict[str, Any]:
        client, refusal = self._caller()
        if client is None:
            return refusal
        data = kpis.summary(self.engine, client.principal)
        data["cells"] = snapshot.cell_load(self.engine, client.principal)
        return data

    def on_case_detail(self, data: Any = None) -> dict[str, Any]:
        client, refusal = self._caller()
        if client is None:
            return refusal
        case_id = data.get("case_id") if isinstance(data, dict) else None
        if not isinstance(case_id, str) or not case_id:
            return {"error": "invalid_input", "field": "case_id"}
        found = details.case_detail(self.engine, client.principal, case_id)
        return found if found is not None else {"error": "not_found", "field": "case_id"}

    def on_token(self, data: Any = None) -> dict[str, Any]:
        client, _ = self._caller()
        token = data.get("token") if isinstance(data, dict) else None
        if client is None or not isinstance(token, str):
            return {"ok": False}
        try:
            principal, token, claims = authenticate(self.config, self.sessions, token)
        except Refused:
            return {"ok": False}
        if principal.user_id != client.principal.user_id:
            return {"ok": False}
        client.session_id = claims.session_id
        self.clients.renew(request.sid, client, token, claims.expires_at)  # type: ignore[attr-defined]
        return {"ok": True}

    # --- internals -------------------------------------------------------------------------

    def _hook_transports(self) -> None:
        """Tells admission of every Engine.IO transport opened and closed (around the
        Socket.IO server's own handlers)."""
        on_open, on_close = self.eio.handlers["connect"], self.eio.handlers["disconnect"]

        def opened(eio_sid: str, environ: dict[str, Any]) -> Any:
            environ[EIO_SID_KEY] = eio_sid
            self.admission.opened(eio_sid, environ)
            return on_open(eio_sid, environ)

        def closed(eio_sid: str, *args: Any) -> Any:
            self.admission.closed(eio_sid)
            return on_close(eio_sid, *args)

        self.eio.on("connect", opened)
        self.eio.on("disconnect", closed)

    def _close_transport(self, eio_sid: str) -> None:
        self.eio.disconnect(eio_sid)

    def _caller(self) -> tuple[Client | None, dict[str, Any]]:
        """The client sending this event, or None and the answer it gets (not signed in, or
        over its rate)."""
        client = self.clients.get(request.sid)  # type: ignore[attr-defined]
        if client is None:
            return None, {"error": "unauthorized"}
        if not self.clients.allow(client):
            return None, {"error": "rate_limited"}
        return client, {}

    def _snapshot(self, principal: Principal, *, first: bool) -> dict[str, Any]:
        if principal.role == GRID_WORKER:  # read with the other phones connecting meanwhile
            return snapshot.worker_message(principal, *self.phones.get(principal))  # type: ignore[misc]

        def build() -> dict[str, Any]:
            with self._builds:
                workers = self._workers_seen(principal)
                run = self._readers.submit
                return snapshot.message(self.engine, run, principal, workers, first=first)

        return self._shared.get(principal, first, build)

    def _workers_seen(self, principal: Principal) -> list[dict[str, Any]]:
        return [p.as_message() for p in self.positions.fresh() if _sees(principal, p)]

    def _replay(self, sid: str, after: int, reach: bool) -> None:
        client = self.clients.get(sid)
        if client is None:
            return
        events, cut = self.replay_log.since(client.rooms, after, reach)
        for message in packets(events, after, cut):
            self.socketio.emit("replay", message, to=sid)

    def _resnapshot(self, sid: str, client: Client) -> None:
        """A client whose scope changed gets the snapshot of its new scope (the page redraws
        from it; what happened in its new cells before the change is in it)."""
        message = self._snapshot(client.principal, first=True)
        self.socketio.emit("snapshot", message, to=sid)

    def _watch(self) -> None:
        """Every 0.2 s: closes transports that did not sign in in time, checks the clients due
        for it (accounts changed anywhere: at once): cut, or moved to their account's rooms."""
        server = self.socketio.server
        while not self.stop.wait(0.2):
            self.admission.sweep()
            try:
                self.account_changes.apply()
                changes = self.clients.check_due(self.engine)
            except SQLAlchemyError as exc:  # the database is briefly away: check again soon
                log.warning("live: account check failed: %s", exc)
                continue
            for change in changes:
                if change.principal is None:
                    log.info("live: disconnecting %s: %s", change.sid, change.reason)
                    self.clients.remove(change.sid)
                    self.socketio.emit("auth_expired", {}, to=change.sid)
                    server.disconnect(change.sid, namespace=NAMESPACE)
                    if change.client.eio_sid is not None:
                        self._close_transport(change.client.eio_sid)
                    continue
                leave, join = apply_scope(change.client, change.principal)
                for room in leave:
                    server.leave_room(change.sid, room, namespace=NAMESPACE)
                for room in join:
                    server.enter_room(change.sid, room, namespace=NAMESPACE)
                log.info("live: %s moved to rooms %s", change.sid, change.client.rooms)
                self.socketio.start_background_task(self._resnapshot, change.sid, change.client)


def _sees(principal: Principal, position: WorkerPosition) -> bool:
    return bool(set(worker_rooms(position.cell_codes)) & set(rooms_for_principal(principal)))
