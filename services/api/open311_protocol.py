"""The GeoReport v2 protocol around the Open311 routes: answers in JSON or XML by the path's
extension, the specification's error list (`[{"code", "description"}]`, `<errors><error>`)
with its status codes per method, and the `jurisdiction_id` every endpoint accepts."""

from __future__ import annotations

import re

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from services.capture import georeport
from services.http.errors import ApiError
from services.store.grid_cells import jurisdiction_exists

JURISDICTION = re.compile(r"^[0-9]{6}(?:[0-9]{3}){0,2}$")


def render(fmt: str, document, root: str, item: str | None = None, status: int = 200):
    """The document as XML (`root`, one `item` per list entry) or JSON."""
    if fmt == "xml":
        return Response(georeport.to_xml(root, item, document), status, mimetype="text/xml")
    return jsonify(document), status


def _fmt() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def api_error(exc: ApiError):
    """A typed error as the specification's error list. A request the service cannot take is
    a 400 (a general service error, never a 422), a missing or invalid api_key a 403, an
    unknown object a 404; `field` (beside code and description) names the input at fault."""
    status = 400 if exc.status == 422 else exc.status
    description = f"{exc.field}: {exc.message}" if exc.field else exc.message
    errors = [{"code": status, "description": description, "field": exc.field}]
    response = render(_fmt(), errors, "errors", "error", status)
    return response if isinstance(response, Response) else (*response, exc.headers)


def http_error(exc: HTTPException):
    """Werkzeug's errors (unknown path, wrong method) as the specification's error list."""
    errors = [{"code": exc.code, "description": exc.description}]
    return render(_fmt(), errors, "errors", "error", exc.code or 400)


def known_jurisdiction() -> None:
    """Before every Open311 request: an unknown `jurisdiction_id` (query or form) is refused;
    without one the endpoint serves every district it holds."""
    value = request.args.get("jurisdiction_id")
    if value is None and request.method == "POST" and request.mimetype != "application/json":
        value = request.form.get("jurisdiction_id")
    if value is not None:
        check_jurisdiction(value)


def check_jurisdiction(value: object) -> None:
    """Raises the specification's answer to an unknown jurisdiction_id: 404 on reads, 400 on
    a POST."""
    known = False
    if isinstance(value, str) and JURISDICTION.match(value):
        with current_app.extensions["gridflow"].engine.connect() as conn:
            known = jurisdiction_exists(conn, value)
    if not known:
        raise ApiError(f"jurisdiction_id {value!r} was not found", field="jurisdiction_id",
                       status=400 if request.method == "POST" else 404)  # fmt: skip
