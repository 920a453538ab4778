"""The OpenAPI 3.1 document, generated from the pydantic models that validate requests.

Views declare what they take and return with `@operation(...)` placed right under the route
decorator; `build_spec(app)` walks the URL map and turns those declarations into the document
served at /api/v1/openapi.json, and /api/v1/docs renders it without any CDN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel, TypeAdapter

from services.api.security_headers import inline_policy

bp = Blueprint("openapi", __name__)
DOCS_PAGE = Path(__file__).with_name("docs.html")
REF = "#/components/schemas/{model}"
REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Malformed request (the error names the field)",
    401: "Missing, invalid, expired or revoked token",
    403: "Wrong role or outside the caller's jurisdiction",
    404: "Not found",
    409: "Conflicts with what exists (same id, different body)",
    413: "Body or a file over its limit",
    415: "Unsupported content type",
    422: "A field is invalid (the error names the field path and the reason)",
    429: "Rate limit exceeded; see Retry-After",
    503: "A backing service is unavailable; retry later",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx body: `{"error": {"code", "message", "field"?, "details"?}}`."""

    error: ErrorDetail


@dataclass(frozen=True)
class Operation:
    """What a view takes and returns, for the OpenAPI document."""

    summary: str
    tags: tuple[str, ...] = ()
    body: Any = None
    content_types: tuple[str, ...] = ("application/json",)
    query: type[BaseModel] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""


def operation(summary: str, **kwargs: Any):
    """Attaches an Operation to a view; place it directly under `@bp.get/post(...)`."""
    kwargs["tags"] = tuple(kwargs.get("tags", ()))
    kwargs["errors"] = tuple(kwargs.get("errors", ()))
    kwargs["content_types"] = tuple(kwargs.get("content_types", ("application/json",)))
    op = Operation(summary=summary, **kwargs)

    def decorate(view):
        view.openapi = op
        return view

    return decorate


class Schemas:
    """The components of a document: each model once, under its own name."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def add(self, name: str, schema: dict[str, Any]) -> None:
        """Registers a component; two different models of one name would silently make one
        endpoint's documented response another's, so that is refused."""
        known = self.components.setdefault(name, schema)
        if known != schema:
            raise ValueError(f"two different models are named {name!r}: rename one of them")

    def add_defs(self, schema: dict[str, Any]) -> None:
        for name, sub in schema.pop("$defs", {}).items():
            self.add(name, sub)

    def ref(self, kind: Any, mode: str) -> dict[str, Any]:
        schema = TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)
        self.add_defs(schema)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            self.add(kind.__name__, schema)
            return {"$ref": REF.format(model=kind.__name__)}
        return schema


_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CONVERTERS = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
}


def path_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTERS.get(conv or "", {"type": "string"})),
        }
        for conv, name in _PARAM.findall(rule)
    ]
    return _PARAM.sub(r"{\2}", rule), params


def query_parameters(model: type[BaseModel], schemas: Schemas) -> list[dict[str, Any]]:
    schema = TypeAdapter(model).json_schema(ref_template=REF, mode="validation")
    schemas.add_defs(schema)
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(op: Operation, roles: tuple[str, ...] | None, schemas: Schemas) -> dict:
    out: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags), "responses": {}}
    if op.description:
        out["description"] = op.description
    if op.body is not None:
        bodies = op.body if isinstance(op.body, dict) else dict.fromkeys(op.content_types, op.body)
        out["requestBody"] = {
            "required": True,
            "content": {
                ct: {"schema": schemas.ref(kind, "validation")} for ct, kind in bodies.items()
            },
        }
    if op.query is not None:
        out["parameters"] = query_parameters(op.query, schemas)
    errors = set(op.errors)
    # What every validated input can answer: a query → 422; a body → 400 (not JSON, nested too
    # deeply), 413 (too large) and 422 (a field is invalid).
    if op.query is not None:
        errors.add(422)
    if op.body is not None:
        errors.update((400, 413, 422))
    if not op.public:
        out["security"] = [{"bearerAuth": []}]
        errors.add(401)
        if roles:
            errors.add(403)
    for status, kind in sorted(op.responses.items()):
        resp: dict[str, Any] = {"description": REASONS.get(status, "OK")}
        if isinstance(kind, tuple):  # media types of a file download (and maybe a model)
            binary = {"type": "string", "format": "binary"}
            resp["content"] = {}
            for part in kind:
                if isinstance(part, str):
                    resp["content"][part] = {"schema": binary}
                else:
                    json_schema = {"schema": schemas.ref(part, "serialization")}
                    resp["content"]["application/json"] = json_schema
        elif kind is not None:
            resp["content"] = {"application/json": {"schema": schemas.ref(kind, "serialization")}}
        out["responses"][str(status)] = resp
    error_ref = schemas.ref(ErrorBody, "serialization")
    for status in sorted(errors):
        out["responses"][str(status)] = {
            "description": REASONS.get(status, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    return out


def build_spec(app: Flask, prefix: str = "/api/v1/") -> dict[str, Any]:
    """The OpenAPI document of every documented route under `prefix`."""
    schemas = Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "openapi", None)
        if op is None or not rule.rule.startswith(prefix):
            continue
        path, params = path_parameters(rule.rule)
        roles = getattr(view, "gridflow_roles", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry = _operation(op, roles, schemas)
            if params:
                entry["parameters"] = params + entry.get("parameters", [])
            entry["operationId"] = f"{rule.endpoint}.{method.lower()}"
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gridflow API",
            "version": "1",
            "description": "Capture, dispatch and follow grid-management cases.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json():
    spec = current_app.extensions.get("gridflow.openapi")
    if spec is None:
        spec = current_app.extensions["gridflow.openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/api/v1/docs")
def docs_page():
    html = DOCS_PAGE.read_text(encoding="utf-8")
    policy = {"Content-Security-Policy": inline_policy(html)}
    return Response(html, mimetype="text/html", headers=policy)
