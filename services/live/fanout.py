"""What one API process sends its live clients: each message to the clients of its rooms, a
feed read's case events as one packet per client, and back-pressure on clients that do not
read.

A client whose send queue holds more than MAX_QUEUED packets (it reads slower than its events
come: a phone on a bad network, a stalled page) is disconnected instead of being queued for
without bound; it reconnects with its cursor and gets what it missed from the replay log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask_socketio import SocketIO

from services.live.clients import Clients

log = logging.getLogger(__name__)
NAMESPACE = "/"
MAX_QUEUED = 200


class Fanout:
    """Emits to this process's clients (see the module's docstring)."""

    def __init__(
        self, socketio: SocketIO, clients: Clients, close_transport: Callable[[str], None]
    ) -> None:
        self.socketio = socketio
        self.eio = socketio.server.eio
        self.clients = clients
        self.close_transport = close_transport

    def publish(self, event: str, message: Any, rooms: list[str]) -> None:
        """Emits to this process's clients in any of `rooms` (each client once); `message` is
        a dict or JSON text (an orjson.Fragment)."""
        participants = self.socketio.server.manager.get_participants
        sids = [sid for sid, eio in participants(NAMESPACE, rooms) if self.keeps_up(sid, eio)]
        if sids:
            self.socketio.emit(event, message, to=sids)

    def publish_batch(self, event: str, messages: list[tuple[Any, list[str]]]) -> None:
        """Emits `event` once to each of this process's clients in a room of any of `messages`
        ((message, rooms) pairs): the list of the messages addressed to it, in their order.

        One packet per client and read of the feed, not one per message: at 300 reports a
        second the feed carries ~600 case events a second, and a packet each (encoded, queued,
        framed and written by the API process, then read and decoded by every page) cost the
        API process ~0.2 ms and a Python client ~0.5 ms of CPU per report. Clients given the
        same messages (the consoles of one department, the pages of one street) share one
        encoded packet."""
        participants = self.socketio.server.manager.get_participants
        picks: dict[str, list[int]] = {}
        transports: dict[str, str] = {}
        for i, (_, rooms) in enumerate(messages):
            for sid, eio_sid in participants(NAMESPACE, rooms):
                picks.setdefault(sid, []).append(i)
                transports[sid] = eio_sid
        groups: dict[tuple[int, ...], list[str]] = {}
        for sid, picked in picks.items():
            groups.setdefault(tuple(picked), []).append(sid)
        for picked, sids in groups.items():
            kept = [sid for sid in sids if self.keeps_up(sid, transports[sid])]
            if kept:
                self.socketio.emit(event, [messages[i][0] for i in picked], to=kept)

    def keeps_up(self, sid: str, eio_sid: str) -> bool:
        """Whether a client reads its events fast enough to be sent more; one that does not
        is cut (its queue would grow without bound)."""
        socket = self.eio.sockets.get(eio_sid)
        if socket is None or socket.queue.qsize() <= MAX_QUEUED:
            return True
        log.info("live: disconnecting %s: %d packets unread", sid, socket.queue.qsize())
        self.clients.remove(sid)
        self.socketio.start_background_task(self.close_transport, eio_sid)
        return False

    def close_sockets(self) -> None:
        """Closes every live transport of this process (the process is stopping)."""
        for socket in list(self.eio.sockets.values()):
            socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
