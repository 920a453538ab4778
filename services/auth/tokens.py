"""Access and refresh tokens (JWT, HS256, signed with `config.secret_key`).

Each login opens a row in `auth_session`. Access tokens are short-lived (`access_token_ttl_s`)
and name their session; refresh tokens are single-use (each refresh rotates the session's
`refresh_jti`; replaying an old one revokes the whole session). Logout revokes the session,
which makes its access tokens fail `decode_access` at once.
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import jwt
from sqlalchemy import Connection, Engine

from services.auth.principal import Principal
from services.auth.users import session_principal
from services.config import Config
from services.store import accounts
from services.store.db import retry_on_disconnect

ISSUER = "gridflow"
ALGORITHM = "HS256"
VERIFIED_CACHE_SIZE = 8192  # tokens whose signature was checked (about 1 kB each)


class InvalidToken(Exception):
    """The token is malformed, forged, expired, revoked, or its account is gone (→ 401)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


@functools.lru_cache(maxsize=16)
def _key_of(secret: str) -> bytes:
    return hashlib.sha256(b"gridflow-jwt\0" + secret.encode()).digest()


def _key(config: Config) -> bytes:
    # A fixed-length signing key derived from the configured secret, whatever its length.
    return _key_of(config.secret_key)


def _encode(config: Config, claims: dict[str, object], ttl_s: int) -> str:
    now = datetime.now(UTC)
    body = {"iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=ttl_s), **claims}
    return jwt.encode(body, _key(config), algorithm=ALGORITHM)


class _Verified(NamedTuple):
    """A token's claims as verified, with the session and account they name (None when
    `sid` is no UUID or `sub` no integer: such a token is refused once its expiry and type
    are checked)."""

    claims: dict[str, object]
    session_id: uuid.UUID | None
    user_id: int | None


@functools.lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def _verified(key: bytes, token: str) -> _Verified:
    """The claims of a token whose signature, issuer and claims checked out at some moment.

    Cached (a failure raises and is never cached): what a token says cannot change, and the
    one thing that depends on time, its expiry, is checked again on every use by `_check`.
    Revocation is never answered from here: `decode_access` asks the database each time."""
    claims = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "sid", "jti", "typ"]},
    )
    try:
        return _Verified(claims, uuid.UUID(str(claims["sid"])), int(str(claims["sub"])))
    except ValueError:
        return _Verified(claims, None, None)


def _check(config: Config, token: str, kind: str) -> _Verified:
    try:
        verified = _verified(_key(config), token)
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("invalid token") from exc
    claims = verified.claims
    if not time.time() < int(str(claims["exp"])):
        raise InvalidToken("token expired")
    if claims.get("typ") != kind:
        raise InvalidToken(f"not an {kind} token")
    if verified.session_id is None:
        raise InvalidToken("invalid token")
    return verified


def _decode(config: Config, token: str, kind: str) -> dict[str, object]:
    verified = _check(config, token, kind)
    claims = dict(verified.claims)
    claims["sid"] = verified.session_id
    claims["user_id"] = verified.user_id
    return claims


def _pair(config: Config, user_id: int, session_id: uuid.UUID, refresh_jti: uuid.UUID) -> TokenPair:
    base = {"sub": str(user_id), "sid": str(session_id)}
    access = _encode(
        config, {**base, "typ": "access", "jti": uuid.uuid4().hex}, config.access_token_ttl_s
    )
    refresh = _encode(
        config, {**base, "typ": "refresh", "jti": refresh_jti.hex}, config.refresh_token_ttl_s
    )
    return TokenPair(access, refresh, config.access_token_ttl_s)


def open_session(conn: Connection, config: Config, user_id: int) -> TokenPair:
    """Starts a session for a user who just proved their password; returns its tokens."""
    session_id, refresh_jti = uuid.uuid4(), uuid.uuid4()
    accounts.open_session(conn, session_id, user_id, refresh_jti, config.refresh_token_ttl_s)
    return _pair(config, user_id, session_id, refresh_jti)


def refresh_session(conn: Connection, config: Config, refresh_token: str) -> TokenPair:
    """Trades a refresh token for a new pair, once. Raises InvalidToken if it is not the
    session's current one. A replayed token revokes the session (it may have been stolen): that
    revocation is written in the caller's transaction, which should commit even then."""
    claims = _decode(config, refresh_token, "refresh")
    new_jti = uuid.uuid4()
    user_id = accounts.rotate_refresh(conn, claims["sid"], _jti(claims), new_jti)
    if user_id is None:
        accounts.revoke_session(conn, claims["sid"])
        raise InvalidToken("refresh token revoked or already used")
    return _pair(config, user_id, claims["sid"], new_jti)


def revoke(conn: Connection, config: Config, token: str) -> None:
    """Logs out: revokes the session of an access or refresh token. Raises InvalidToken if
    the token was never valid."""
    try:
        claims = _decode(config, token, "access")
    except InvalidToken:
        claims = _decode(config, token, "refresh")
    accounts.revoke_session(conn, claims["sid"])


def _jti(claims: dict[str, object]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims["jti"]))
    except ValueError as exc:
        raise InvalidToken("invalid token") from exc


class AccessClaims(NamedTuple):
    """What an access token names, checked without the database: its session, its account
    and when it expires (Unix time)."""

    session_id: uuid.UUID
    user_id: int
    expires_at: float


def access_claims(config: Config, token: str) -> AccessClaims:
    """The session, account and expiry of a valid, unexpired access token (signature, type
    and expiry checked; revocation is not: see decode_access). Raises InvalidToken."""
    verified = _check(config, token, "access")
    if verified.session_id is None or verified.user_id is None:
        raise InvalidToken("invalid token")
    return AccessClaims(verified.session_id, verified.user_id, float(str(verified.claims["exp"])))


def decode_access(config: Config, engine: Engine, token: str) -> Principal:
    """The Principal behind an access token, checked against revocation and the account's
    current state (role, cells, active). Raises InvalidToken. Safe to call from any process
    that shares the database (API views, the Socket.IO connect handler)."""
    verified = _check(config, token, "access")
    session_id, user_id = verified.session_id, verified.user_id

    def check() -> Principal | None:
        # One statement, nothing written: no transaction around it (no BEGIN, no ROLLBACK).
        return session_principal(engine, session_id, user_id)

    principal = retry_on_disconnect(check)
    if principal is None:
        raise InvalidToken("session revoked or account disabled")
    return principal
