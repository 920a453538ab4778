"""The OpenAPI 3.1 document of the Open311 GeoReport v2 routes, served at
/open311/v2/openapi.json.

It is built like /api/v1/openapi.json (services/api/openapi.py), from pydantic models: the
inputs are the very models that validate them (`capture.open311_schemas`), the answers are
described by the models below, written after what `capture.georeport` returns. Each route of
the open311 blueprint is declared in OPERATIONS; `build_open311_spec` refuses a route that is
not, so the document cannot fall behind the routes. A route answering in both formats
(`….<json|xml>`) is two paths: `.json` answers JSON (described field by field), `.xml` the
same document as XML (text/xml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel, TypeAdapter

from services.api.openapi import REASONS, REF, Schemas, path_parameters, query_parameters
from services.capture.open311_schemas import RequestIn, RequestsQuery

bp = Blueprint("open311_openapi", __name__)
PREFIX = "/open311/v2/"
FORMATS = ("json", "xml")
LONG_LINE = "The request line is over the HTTP server's limit (4,094 bytes)"


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist",
                      "multivaluelist"]  # fmt: skip
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(BaseModel):
    """A request as the public sees it (the caller's own with exact coordinates)."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class RequestReceived(BaseModel):
    """The answer to POST requests: the case number and the token to follow it by."""

    service_request_id: str | None
    token: str
    service_notice: str
    account_id: str | None


class TokenAnswer(BaseModel):
    service_request_id: str
    token: str


class Open311Error(BaseModel):
    """One entry of an error answer, `[{"code", "description", "field"?}]`."""

    code: int
    description: str
    field: str | None = None


@dataclass(frozen=True)
class Open311Operation:
    summary: str
    answer: Any
    status: int = 200
    query: type[BaseModel] | None = None
    query_fields: tuple[str, ...] = ()  # only these of `query` (all when empty)
    body: bool = False
    errors: tuple[int, ...] = ()


# What a path parameter must be for the route to find anything (any other value is a 404).
PATH_VALUES = {
    "code": {"type": "string", "pattern": "^[0-9]{6}$"},
    "service_request_id": {"type": "string", "pattern": "^[0-9]{14,20}$"},
    "token": {"type": "string", "format": "uuid"},
}
KEYED = "With `api_key`, the key's own requests too, with exact coordinates."
OPERATIONS = {
    "open311.discovery": Open311Operation("Where and how to use this endpoint", Discovery),
    "open311.services": Open311Operation(
        "The services (the catalog's small classes)", list[Service]
    ),
    "open311.service_definition": Open311Operation(
        "The attributes a request for one service may carry", ServiceDefinition, errors=(404,)
    ),
    "open311.create_request": Open311Operation(
        "File a request (form-encoded as the specification shows, or JSON)",
        list[RequestReceived],
        status=201,
        body=True,
        errors=(400, 403, 413, 415, 429),
    ),
    "open311.list_requests": Open311Operation(
        "Published requests within a window of at most 90 days. " + KEYED,
        list[ServiceRequest],
        query=RequestsQuery,
        errors=(400, 403, 404),
    ),
    "open311.get_request": Open311Operation(
        "One published request by its number. " + KEYED,
        list[ServiceRequest],
        query=RequestsQuery,
        query_fields=("api_key",),
        errors=(400, 403, 404),
    ),
    "open311.token": Open311Operation(
        "The request number a token became", list[TokenAnswer], errors=(404,)
    ),
}


def _form_schema(schemas: Schemas) -> dict[str, Any]:
    """RequestIn as form fields: an attribute is a field `attribute[code]`."""
    schema = TypeAdapter(RequestIn).json_schema(ref_template=REF, mode="validation")
    schemas.add_defs(schema)
    schema["properties"].pop("attribute")
    schema["title"] = "RequestForm"
    schema["patternProperties"] = {r"^attribute\[[A-Za-z0-9_]+\]$": {"type": "string"}}
    return schema


def _operation(
    endpoint: str, op: Open311Operation, fmt: str, path_params: list[dict], schemas: Schemas
) -> dict:
    out: dict[str, Any] = {"summary": op.summary, "tags": ["open311"],
                           "operationId": f"{endpoint}.{fmt}", "responses": {}}  # fmt: skip
    query = query_parameters(op.query, schemas) if op.query is not None else []
    query = [p for p in query if not op.query_fields or p["name"] in op.query_fields]
    if path_params or query:
        out["parameters"] = path_params + query
    if op.body:
        form = _form_schema(schemas)
        out["requestBody"] = {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "application/json": {"schema": schemas.ref(RequestIn, "validation")},
        }}  # fmt: skip
    xml = {"text/xml": {"schema": {"type": "string"}}}
    errors = {"application/json": {"schema": schemas.ref(list[Open311Error], "serialization")}}
    answer = {"application/json": {"schema": schemas.ref(op.answer, "serialization")}}
    out["responses"][str(op.status)] = {
        "description": REASONS.get(op.status, "OK"),
        "content": answer if fmt == "json" else xml,
    }
    if out.get("parameters"):
        # Answered by the HTTP server itself, before the app, for a request line over its limit.
        out["responses"]["400"] = {"description": LONG_LINE, "content": {"text/html": {}}}
    for status in op.errors:
        # The specification's error list; a 400 may also be the HTTP server's own (above).
        earlier = out["responses"].get(str(status), {}).get("content", {})
        out["responses"][str(status)] = {
            "description": REASONS.get(status, "Error"),
            "content": {**earlier, **(errors if fmt == "json" else xml)},
        }
    return out


def build_open311_spec(app: Flask) -> dict[str, Any]:
    """The document of every route of the open311 blueprint; a route missing from OPERATIONS
    is a ValueError."""
    schemas = Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("open311."):
            continue
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            raise ValueError(f"{rule.endpoint} is not in the Open311 document")
        template, params = path_parameters(rule.rule)
        params = [{**p, "schema": PATH_VALUES[p["name"]]} for p in params if p["name"] != "fmt"]
        for fmt in FORMATS:
            path = template.replace("{fmt}", fmt)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                entry = _operation(rule.endpoint, op, fmt, params, schemas)
                paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gridflow Open311 GeoReport v2",
            "version": "2",
            "description": "Residents' and hotline systems' requests "
            "(http://wiki.open311.org/GeoReport_v2), in JSON and XML.",
        },
        "paths": paths,
        "components": {"schemas": schemas.components},
    }


@bp.get(f"{PREFIX}openapi.json")
def open311_openapi_json():
    spec = current_app.extensions.get("gridflow.open311_openapi")
    if spec is None:
        spec = current_app.extensions["gridflow.open311_openapi"] = build_open311_spec(current_app)
    return jsonify(spec)
