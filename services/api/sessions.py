"""Flask's signed-cookie session, without its cost on requests that carry no session.

The API authenticates with Bearer tokens and keeps nothing in Flask's session, yet Flask opens
one on every request (building an itsdangerous serializer each time) and reads seven cookie
settings when it closes it. Here the serializer is built once per secret key and only when a
request sends a session cookie, and an untouched empty session is closed at once. Cookies, their
signatures and what a request that uses the session sees are Flask's own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessions(SecureCookieSessionInterface):
    """Flask's `SecureCookieSessionInterface`, lazy (see the module text)."""

    def __init__(self) -> None:
        self._serializer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        """Flask's serializer for the app's current keys, built once per set of keys."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session; an empty one at once when it sends no session cookie."""
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ  # no cookie at all: no header to parse
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Writes the session cookie as Flask does; nothing to do for an empty session that
        was neither read nor changed."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)
