"""Authentication and authorization for Flask views.

@bp.get("/api/v1/things")
@requires("operator", "admin")      # 401 without a valid Bearer token, 403 for other roles
@rate_limited("things")             # 429 with Retry-After past the per-account rate
def things():
    me = current_principal()
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from services.auth.principal import ROLES, Principal
from services.auth.ratelimit import TokenBucketLimiter
from services.auth.tokens import InvalidToken, decode_access
from services.http.errors import ApiError, Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gridflow"'}
_limiters_lock = threading.Lock()


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class PasswordChangeRequired(ApiError):
    status, code = 403, "password_change_required"


# All an account that must replace its one-time password may do: sign out, read who it is,
# replace the password (the views of services.api.auth).
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.logout", "auth.me", "auth.change_password"})


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> Principal:
    """The Principal of the current request (cached on `g`); raises Unauthorized (401)."""
    cached = g.get("gridflow_principal")
    if cached is not None:
        return cached
    token = bearer_token()
    if token is None:
        raise Unauthorized("a Bearer access token is required", headers=_CHALLENGE)
    gf = current_app.extensions["gridflow"]
    try:
        principal = decode_access(gf.config, gf.engine, token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc), headers=_CHALLENGE) from exc
    if principal.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise PasswordChangeRequired(
            "this account must change its password first (POST /api/v1/auth/password)"
        )
    g.gridflow_principal = principal
    return principal


def current_principal() -> Principal:
    """The authenticated caller of this request; use inside views decorated with @requires."""
    return authenticate()


def requires(*roles: str) -> Callable[[F], F]:
    """Lets a view run only for a valid access token of one of `roles` (any role if none)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate()
            if roles and principal.role not in roles:
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        wrapper.gridflow_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def limiter(bucket: str, per_minute: float, burst: int | None = None) -> TokenBucketLimiter:
    """The app's limiter for `bucket` (created on first use; per process)."""
    limiters = current_app.extensions.setdefault("gridflow.ratelimits", {})
    found = limiters.get(bucket)
    if found is None:
        with _limiters_lock:
            found = limiters.setdefault(bucket, TokenBucketLimiter(per_minute, burst))
    return found


def check_rate(bucket: str, key: object, per_minute: float, burst: int | None = None) -> None:
    """Raises TooManyRequests (429, Retry-After) when `key` exceeded `per_minute` in `bucket`
    (`burst`: the bucket's size; default a quarter of a minute's worth)."""
    wait = limiter(bucket, per_minute, burst).take(key)
    if wait > 0:
        raise retry_later(wait, "too many requests")


def retry_later(wait_s: float, what: str) -> TooManyRequests:
    """A 429 telling the client to retry in `wait_s` seconds (Retry-After, at least 1)."""
    seconds = max(1, math.ceil(wait_s))
    return TooManyRequests(f"{what}; retry in {seconds} s", headers={"Retry-After": str(seconds)})


def rate_limited(bucket: str) -> Callable[[F], F]:
    """Per-account limit (`config.rate_limit_per_minute`); place below @requires."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            per_minute = current_app.extensions["gridflow"].config.rate_limit_per_minute
            check_rate(bucket, authenticate().user_id, per_minute)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
