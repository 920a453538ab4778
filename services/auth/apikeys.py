"""API keys of Open311 clients (hotline systems, residents' apps): stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from services.store import accounts


@dataclass(frozen=True)
class Client:
    """An active Open311 client: its id, name and the datum of the coordinates it speaks."""

    id: int
    name: str
    datum: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_client(
    conn: Connection,
    name: str,
    *,
    datum: str = "wgs84",
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> str:
    """Registers a client and returns its new key (shown once; only the hash is kept).
    `datum` is the datum of the coordinates it sends and reads; `webhook_url` (with its
    `webhook_secret`) is where its reporters' milestones are posted."""
    key = "o311_" + secrets.token_urlsafe(24)
    accounts.add_open311_client(conn, name, _digest(key), datum, webhook_url, webhook_secret)
    return key


def client_for_key(conn: Connection, key: str) -> int | None:
    """The id of the active client holding `key`, or None."""
    client = client_of_key(conn, key)
    return client.id if client else None


def client_of_key(conn: Connection, key: str | None) -> Client | None:
    """The active client holding `key`, or None."""
    if not key or len(key) > 200:
        return None
    row = accounts.open311_client(conn, _digest(key))
    return Client(row.id, row.name, row.datum) if row else None


def revoke_client(conn: Connection, name: str) -> bool:
    """Revokes a client's key; False if there is no such active client."""
    return accounts.revoke_open311_client(conn, name)
