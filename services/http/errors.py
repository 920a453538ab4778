"""Typed API errors and their one mapping to JSON responses.

Every error body has the shape `{"error": {"code", "message", "field"?, "details"?}}`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error the client can act on. `field` names the input at fault (a dotted path)."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: Any = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        self.headers = headers or {}
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            err["field"] = self.field
        if self.details is not None:
            err["details"] = self.details
        return {"error": err}


class InvalidInput(ApiError):
    status, code = 400, "invalid_input"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def register_error_handlers(app: Flask) -> None:
    """Maps ApiError subclasses and HTTP errors to JSON, a database that cannot be reached to
    503 with Retry-After; anything else is logged as a 500."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(exc.body()), exc.status, exc.headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_away(exc: Exception):
        # PostgreSQL restarting, unreachable or out of connections: the client may retry (the
        # same report id makes a retried capture safe). Connecting is bounded by the engine's
        # timeouts, so this answer comes within seconds instead of a hung request.
        error = Unavailable("the database is unavailable; retry shortly")
        return jsonify(error.body()), error.status, {"Retry-After": "2"}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        body = {
            "error": {
                "code": (exc.name or "error").lower().replace(" ", "_"),
                "message": exc.description,
            }
        }
        return jsonify(body), exc.code or 500
