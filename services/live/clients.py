"""The signed-in clients of one API process's live server: whose session each socket holds,
which rooms its account gives it now, and how fast it may send events.

Scopes stay true: every `live_auth_check_s` the clients due for a check are looked up in one
statement (services.auth.users.sessions_principals). A session revoked or expired, or an
account disabled, ends the socket; an account whose cells, jurisdiction or department changed
gets its rooms changed and its `principal` replaced, so every later event it sends is answered
in its current scope. A token's own expiry is checked locally.
"""

from __future__ import annotations

import heapq
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from socketio.exceptions import ConnectionRefusedError as Refused
from sqlalchemy import Engine

from services.auth.principal import Principal
from services.auth.tokens import AccessClaims, InvalidToken, access_claims
from services.auth.users import sessions_principals
from services.config import Config
from services.live.coalesce import Coalesced
from services.live.rooms import rooms_for_principal
from services.store.db import retry_on_disconnect

# A socket may send this many events at once before its rate applies.
BURST_FACTOR = 4


@dataclass
class Client:
    """A signed-in Socket.IO client: its account's scope as last checked, its token's session
    and expiry, and its event allowance (a token bucket)."""

    principal: Principal
    token: str
    session_id: uuid.UUID
    expires_at: float
    next_check: float
    eio_sid: str | None = None
    rooms: list[str] = field(default_factory=list)
    allowance: float = 0.0
    allowance_at: float = 0.0


@dataclass(frozen=True)
class Change:
    """What a check found for one client: `principal` None means the socket must go."""

    sid: str
    client: Client
    principal: Principal | None
    reason: str = ""


class Clients:
    """The registry of signed-in clients of one process (safe across greenlets and threads)."""

    def __init__(self, check_interval_s: float, event_rate_per_s: float) -> None:
        self.check_interval_s = max(0.2, check_interval_s)
        self.rate = max(0.1, event_rate_per_s)
        self.burst = self.rate * BURST_FACTOR
        self._clients: dict[str, Client] = {}
        # (next check, sid) of every client, soonest first: a check looks at the due ones
        # only, not at all 10,000 clients five times a second. Entries of clients gone or
        # rescheduled are dropped when they come up.
        self._due: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def add(self, sid: str, client: Client) -> None:
        client.next_check = min(client.expires_at, time.time() + self.check_interval_s)
        client.allowance, client.allowance_at = self.burst, time.monotonic()
        with self._lock:
            self._clients[sid] = client
            heapq.heappush(self._due, (client.next_check, sid))

    def remove(self, sid: str) -> Client | None:
        with self._lock:
            return self._clients.pop(sid, None)

    def get(self, sid: str) -> Client | None:
        with self._lock:
            return self._clients.get(sid)

    def count(self) -> int:
        with self._lock:
            return len(self._clients)

    def renew(self, sid: str, client: Client, token: str, expires_at: float) -> None:
        """A refreshed access token of the same session or account, for client `sid`."""
        with self._lock:
            client.token, client.expires_at = token, expires_at
            client.next_check = min(expires_at, time.time() + self.check_interval_s)
            heapq.heappush(self._due, (client.next_check, sid))

    def check_account_now(self, user_id: int) -> int:
        """Makes every client of this account due for its check at once (an admin disabled
        it or changed its scope: its sockets are cut, or moved, within the watch's next round
        instead of `check_interval_s`); returns how many there are in this process."""
        now = time.time()
        with self._lock:
            mine = [(sid, c) for sid, c in self._clients.items() if c.principal.user_id == user_id]
            for sid, client in mine:
                client.next_check = now
                heapq.heappush(self._due, (now, sid))
        return len(mine)

    def check_everyone_now(self) -> int:
        """Makes every client due for its check at once (account changes may have been
        missed); returns how many there are."""
        now = time.time()
        with self._lock:
            for sid, client in self._clients.items():
                client.next_check = now
                heapq.heappush(self._due, (now, sid))
            return len(self._clients)

    def allow(self, client: Client) -> bool:
        """Takes one event from the client's allowance; False when it has none left."""
        now = time.monotonic()
        with self._lock:
            client.allowance = min(
                self.burst, client.allowance + (now - client.allowance_at) * self.rate
            )
            client.allowance_at = now
            if client.allowance < 1.0:
                return False
            client.allowance -= 1.0
            return True

    def check_due(self, engine: Engine, now: float | None = None) -> list[Change]:
        """Checks the clients whose time has come against the database (one statement) and
        their tokens' expiry; returns what changed. Callers apply the changes (rooms, cuts)."""
        now = time.time() if now is None else now
        due = []
        with self._lock:
            while self._due and self._due[0][0] <= now:
                at, sid = heapq.heappop(self._due)
                client = self._clients.get(sid)
                if client is not None and client.next_check == at:
                    due.append((sid, client))
        if not due:
            return []
        current = sessions_principals(engine, [c.session_id for _, c in due])
        changes = []
        with self._lock:
            for sid, client in due:
                principal = current.get(client.session_id)
                if client.expires_at <= now:
                    changes.append(Change(sid, client, None, "token expired"))
                elif principal is None:
                    changes.append(Change(sid, client, None, "session revoked or account disabled"))
                elif principal != client.principal:
                    changes.append(Change(sid, client, principal, "scope changed"))
                client.next_check = min(client.expires_at, now + self.check_interval_s)
                if principal is not None and client.expires_at > now:
                    heapq.heappush(self._due, (client.next_check, sid))
        return changes


def apply_scope(client: Client, principal: Principal) -> tuple[list[str], list[str]]:
    """Gives `client` its account's current scope; returns the rooms to leave and to join."""
    new_rooms = rooms_for_principal(principal)
    leave = [r for r in client.rooms if r not in new_rooms]
    join = [r for r in new_rooms if r not in client.rooms]
    client.principal, client.rooms = principal, new_rooms
    return leave, join


def authenticate(
    config: Config, sessions: Coalesced[uuid.UUID, Principal], token: Any
) -> tuple[Principal, str, AccessClaims]:
    """The account behind the access token a client connects with (or hands over later), with
    the token and its claims; a missing, invalid, expired or revoked one is refused. The
    session is checked with the other clients' that sign in meanwhile (services.live.coalesce:
    `sessions` looks up sessions_principals)."""
    if not isinstance(token, str) or not token:
        raise refusal("unauthorized", "token required")
    try:
        claims = access_claims(config, token)
    except InvalidToken as exc:
        raise refusal("unauthorized", str(exc)) from exc
    principal = retry_on_disconnect(lambda: sessions.get(claims.session_id))
    if principal is None or principal.user_id != claims.user_id:
        raise refusal("unauthorized", "session revoked or account disabled")
    if principal.must_change_password:
        raise refusal("password_change_required", "this account must change its password first")
    return principal, token, claims


def refusal(code: str, message: str) -> Refused:
    """A refused CONNECT as the pages read it: `err.message` is the code, `err.data` holds
    {code, message} (the command center renews its token on "unauthorized")."""
    return Refused(code, {"code": code, "message": message})


def cursor(value: Any) -> int | None:
    """The `last_event_id` a client connects with, when it is a whole number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 0 else None
