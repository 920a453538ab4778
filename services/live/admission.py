"""Who may open a live socket, and for how long without signing in.

An API process holds at most `live_max_clients` Engine.IO transports and at most
`live_max_per_address` from one client address; a handshake beyond either is refused before
Engine.IO sees it (503, or 429 for one address, both with `Retry-After` and a JSON error), so a
crowd of sockets can never take the connections HTTP needs. A transport that has not completed
an authenticated Socket.IO CONNECT within `live_connect_timeout_s` is closed, and so is one
whose CONNECT was refused: a bare WebSocket holds nothing for long.

Connects are handled a few at a time (LiveServer); the others wait their turn holding only
memory, however many: a transport is refused for its caps only, never because others are
still connecting. (Refusing them instead, beyond 2,048 waiting, made a restart under 10,000
clients collapse: the refused came back at their backoff's pace, about 1,600 handshakes a
second, and answering those took most of the process's CPU, so the queue drained at a few
connects a second.)

Handshakes go through a few hundred at a time (HANDSHAKES_AT_ONCE), each holding its place
until its transport's CONNECT comes or it closes; the others wait in the gate, a parsed request
and no transport, for up to HANDSHAKE_WAIT_S (then 503, `live_busy`, which the load balancer
passes to another process), the newest first (services.runtime.NewestFirst: in a queue, with
thousands waiting, every place went to a handshake that had waited ~15 s, whose client gave up
at 20 s before its CONNECT was read; places then turned over at the sign-in's pace, ~20 a
second, and 20,000 clients took 180 s to come back to two processes). Without the gate, 10,000
clients back at once after a restart all opened their transports within seconds; handshaking
them took the process longer than the sign-in timeout, so thousands were closed unsigned
before their CONNECT was read, and came back to do it again. The timeout is for transports
that do not sign in, not for clients the process has not found time for. (A bare transport
holds a place for the sign-in timeout at most; the per-address cap bounds how many one
address holds.)

The client address is the peer's, or the last address of X-Forwarded-For that is not a trusted
proxy when the peer is one (`trusted_proxies`: the load balancer in front of `gridflow serve`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from services.config import Config
from services.http.addresses import client_address, trusted_networks
from services.runtime import NewestFirst

log = logging.getLogger(__name__)

# A refused client waits about this long before its next try (its own backoff adds jitter).
RETRY_AFTER_S = 5
# Handshakes let through at once (see the docstring), and how long one waits for its turn: half
# the socket.io client's 20 s connection timeout, so one let through still has time to sign in.
HANDSHAKES_AT_ONCE = 256
HANDSHAKE_WAIT_S = 10.0
BUSY_RETRY_AFTER_S = 2
SLOT_KEY = "gridflow.live.slot"
# While handshakes wait or transports are unsigned, the gate's state is logged this often.
STATE_LOG_S = 5.0
ENVIRON_KEY = "gridflow.live.transport"


@dataclass
class Transport:
    """An open Engine.IO transport: from where and since when (whether it is still timed for
    signing in is `Admission._unsigned`)."""

    address: str
    opened: float
    slot: bool = False  # holds one of the handshakes' places until it signs in or closes


class Admission:
    """The live sockets' gate of one API process (see the module's docstring)."""

    def __init__(
        self,
        config: Config,
        close: Callable[[str], None],
        handshakes_at_once: int = HANDSHAKES_AT_ONCE,
        handshake_wait_s: float = HANDSHAKE_WAIT_S,
    ) -> None:
        self.max_clients = config.live_max_clients
        self.max_per_address = config.live_max_per_address
        self.connect_timeout_s = config.live_connect_timeout_s
        self.trusted = trusted_networks(config.trusted_proxies)
        self._close = close
        self._open: dict[str, Transport] = {}
        self._per_address: Counter[str] = Counter()
        self._unsigned: dict[str, float] = {}  # transports still timed: id → opened
        self._slots = NewestFirst(handshakes_at_once)
        self.handshake_wait_s = handshake_wait_s
        self._placed = 0  # handshakes and transports holding one
        self.refused: Counter[str] = Counter()  # by code, since the process started
        self._logged = 0.0

    # --- the WSGI gate -------------------------------------------------------------------

    def wrap(self, wsgi_app: Callable[..., Any], path: str = "/socket.io") -> Callable[..., Any]:
        """`wsgi_app` behind the gate: new handshakes on `path` are refused beyond the caps and
        wait for their turn among the handshakes (see the module's docstring); every other
        request passes untouched."""

        def gate(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            if not environ.get("PATH_INFO", "").startswith(path) or _has_sid(environ):
                return wsgi_app(environ, start_response)
            address = client_address(environ, self.trusted)
            refusal = self.refusal(address)
            if refusal is None and not self._take_place():
                refusal = BUSY
            if refusal is not None:
                self.refused[refusal[1]] += 1
                return _refuse(start_response, *refusal)
            environ[ENVIRON_KEY] = address
            # The place, until the transport opened takes it over; shared, not copied, with the
            # environ Engine.IO gets (Flask-SocketIO's middleware hands it a copy).
            place = environ[SLOT_KEY] = [True]
            try:
                return wsgi_app(environ, start_response)
            finally:
                if place.pop():  # no transport opened: the place is free
                    self._free_place()

        return gate

    def _take_place(self) -> bool:
        taken = self._slots.acquire(timeout=self.handshake_wait_s)
        self._placed += taken
        return taken

    def _free_place(self) -> None:
        self._placed -= 1
        self._slots.release()

    def state(self) -> dict[str, Any]:
        """What the gate holds now, for the process's log: transports open and not yet signed
        in, handshakes holding a place and waiting for one, refusals so far by code."""
        return {
            "open": len(self._open), "unsigned": len(self._unsigned), "placed": self._placed,
            "waiting": self._slots.waiting(), "refused": dict(self.refused),
        }  # fmt: skip

    def refusal(self, address: str) -> tuple[str, str, str, int] | None:
        """Why a new transport from `address` is refused now: (HTTP status, code, message,
        Retry-After seconds), or None when it may open."""
        if len(self._open) >= self.max_clients:
            return (
                "503 Service Unavailable",
                "live_full",
                "this server holds all its live sockets",
                RETRY_AFTER_S,
            )
        if self._per_address[address] >= self.max_per_address:
            return (
                "429 Too Many Requests",
                "live_address_full",
                "too many sockets from one address",
                RETRY_AFTER_S,
            )
        return None

    # --- the transports' lives -----------------------------------------------------------

    def opened(self, eio_sid: str, environ: dict[str, Any]) -> None:
        """An Engine.IO transport was opened (its handshake passed the gate)."""
        address = environ.get(ENVIRON_KEY) or client_address(environ, self.trusted)
        place = environ.get(SLOT_KEY)
        slot = bool(place and place[0])
        if slot:
            place[0] = False  # taken over by the transport
        self._open[eio_sid] = Transport(address, time.monotonic(), slot)
        self._unsigned[eio_sid] = self._open[eio_sid].opened
        self._per_address[address] += 1

    def closed(self, eio_sid: str) -> None:
        """An Engine.IO transport closed, for whatever reason."""
        transport = self._open.pop(eio_sid, None)
        self._unsigned.pop(eio_sid, None)
        if transport is None:
            return
        if transport.slot:
            self._free_place()
        self._per_address[transport.address] -= 1
        if self._per_address[transport.address] <= 0:
            del self._per_address[transport.address]

    def signed_in(self, eio_sid: str) -> None:
        """The transport's Socket.IO CONNECT came (a refused one closes the transport): it is
        no longer timed, however long its turn among the connects takes."""
        self._unsigned.pop(eio_sid, None)
        transport = self._open.get(eio_sid)
        if transport is not None and transport.slot:
            transport.slot = False
            self._free_place()

    def open_count(self) -> int:
        return len(self._open)

    def sweep(self, now: float | None = None) -> list[str]:
        """Closes the transports that did not sign in within the timeout; returns their ids.
        Looks at the transports still timed only (a handful, not every open socket)."""
        now = time.monotonic() if now is None else now
        late = [
            sid for sid, at in list(self._unsigned.items()) if now - at >= self.connect_timeout_s
        ]
        for sid in late:
            self._unsigned.pop(sid, None)
            self._close(sid)
        self.refused["sign_in_timeout"] += len(late)
        if (self._slots.waiting() or self._unsigned) and now - self._logged >= STATE_LOG_S:
            self._logged = now
            log.info("live admission: %s", self.state())
        return late


def _has_sid(environ: dict[str, Any]) -> bool:
    query = environ.get("QUERY_STRING") or ""
    return "sid=" in query and bool(parse_qs(query).get("sid"))


BUSY = ("503 Service Unavailable", "live_busy", "connecting other clients", BUSY_RETRY_AFTER_S)


def _refuse(
    start_response: Callable[..., Any], status: str, code: str, message: str, retry_after: int
) -> list[bytes]:
    body = orjson.dumps({"error": code, "message": message})
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Retry-After", str(retry_after)),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]
