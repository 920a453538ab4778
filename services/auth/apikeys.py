"""API keys of Open311 clients (hotline systems, residents' apps): stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, text


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_client(conn: Connection, name: str) -> str:
    """Registers a client and returns its new key (shown once; only the hash is kept)."""
    key = "o311_" + secrets.token_urlsafe(24)
    conn.execute(
        text("INSERT INTO open311_client (name, key_hash) VALUES (:n, :h)"),
        {"n": name, "h": _digest(key)},
    )
    return key


def client_for_key(conn: Connection, key: str) -> int | None:
    """The id of the active client holding `key`, or None."""
    if not key or len(key) > 200:
        return None
    return conn.execute(
        text("SELECT id FROM open311_client WHERE key_hash = :h AND revoked_at IS NULL"),
        {"h": _digest(key)},
    ).scalar()


def revoke_client(conn: Connection, name: str) -> bool:
    """Revokes a client's key; False if there is no such active client."""
    result = conn.execute(
        text("UPDATE open311_client SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    return result.rowcount > 0
