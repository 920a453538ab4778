"""Password hashing (argon2id) and the rule that well-known passwords only work in development."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.runtime import offload

_hasher = PasswordHasher()
# Hash of a random password: verifying against it keeps "no such user" as slow as a bad password.
_DUMMY_HASH = _hasher.hash("gridflow-no-such-user-4f1c")

WELL_KNOWN = frozenset(
    {
        "demo",
        "password",
        "passw0rd",
        "admin",
        "123456",
        "12345678",
        "123456789",
        "qwerty",
        "111111",
        "gridflow",
        "changeme",
    }
)
MIN_LENGTH = 8


class WeakPassword(ValueError):
    """The password may not be used in this mode."""


def check_allowed(password: str, *, development: bool) -> None:
    """Raises WeakPassword for passwords refused in this mode (well-known or short ones are
    allowed only in development, where the demo accounts use `demo`)."""
    if development:
        if not password:
            raise WeakPassword("password must not be empty")
        return
    if password.lower() in WELL_KNOWN:
        raise WeakPassword("well-known passwords are refused outside development mode")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salted; encodes its own parameters). Computed off the
    event loop in a cooperative process (services.runtime.offload)."""
    return offload(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`; None (no such account) costs the same time."""
    try:
        return offload(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False
