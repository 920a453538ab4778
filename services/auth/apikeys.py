"""API keys of Open311 clients (hotline systems, residents' apps): stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, text


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
    conn.execute(
        text(
            "INSERT INTO open311_client (name, key_hash, datum, webhook_url, webhook_secret) "
            "VALUES (:n, :h, :d, :u, :s)"
        ),
        {"n": name, "h": _digest(key), "d": datum, "u": webhook_url, "s": webhook_secret},
    )
    return key


def client_for_key(conn: Connection, key: str) -> int | None:
    """The id of the active client holding `key`, or None."""
    client = client_of_key(conn, key)
    return client.id if client else None


def client_of_key(conn: Connection, key: str | None) -> Client | None:
    """The active client holding `key`, or None."""
    if not key or len(key) > 200:
        return None
    row = conn.execute(
        text(
            "SELECT id, name, datum FROM open311_client WHERE key_hash = :h AND revoked_at IS NULL"
        ),
        {"h": _digest(key)},
    ).first()
    return Client(row.id, row.name, row.datum) if row else None


def revoke_client(conn: Connection, name: str) -> bool:
    """Revokes a client's key; False if there is no such active client."""
    result = conn.execute(
        text("UPDATE open311_client SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    return result.rowcount > 0
