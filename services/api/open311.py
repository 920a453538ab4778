"""Open311 GeoReport v2 under /open311/v2/ (JSON and XML), for hotline systems and residents'
apps. Requests filed here go through the same capture command as grid reports (一门受理)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from services.api import open311_protocol as protocol
from services.api.casework import calendars
from services.api.mobile import accept
from services.api.tracking import public_channels
from services.auth.apikeys import Client, client_of_key
from services.auth.decorators import check_rate
from services.capture import georeport
from services.capture.intake import CaptureReport
from services.capture.open311_schemas import RequestIn, RequestsQuery
from services.capture.status_notes import pick_language, status_note
from services.domain.questions import QuestionError, check_answers
from services.domain.states import is_handled
from services.http.errors import ApiError, Forbidden, InvalidInput, NotFound, Unprocessable
from services.http.validation import check_size, parse_json, validate
from services.places.gazetteer import point_named
from services.store import report_rows
from services.store.catalog import Category, get_category, list_categories

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMAT = "<any(json, xml):fmt>"
DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=90)
SERVICE_CODE = re.compile(r"^[0-9]{6}$")
CASE_NO = re.compile(r"^[0-9]{14,20}$")
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_]+)\](\[\])?$")


def _gf():
    return current_app.extensions["gridflow"]


bp.register_error_handler(ApiError, protocol.api_error)
bp.register_error_handler(HTTPException, protocol.http_error)
bp.before_request(protocol.known_jurisdiction)
_render, _check_jurisdiction = protocol.render, protocol.check_jurisdiction


@bp.get(f"/discovery.{FORMAT}")
def discovery(fmt: str):
    base = request.host_url.rstrip("/") + bp.url_prefix
    document = {
        "changeset": "2026-01-01T00:00:00Z",
        "contact": "the command center of the district (12345 hotline)",
        "key_service": "API keys are issued by the admins: gridflow open311 add-client NAME",
        "endpoints": [
            {
                "specification": georeport.SPECIFICATION,
                "url": base,
                "changeset": "2026-01-01T00:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _render(fmt, document, "discovery")


@bp.get(f"/services.{FORMAT}")
def services(fmt: str):
    with _gf().engine.connect() as conn:
        document = [georeport.service(c) for c in list_categories(conn)]
    return _render(fmt, document, "services", "service")


@bp.get(f"/services/<code>.{FORMAT}")
def service_definition(code: str, fmt: str):
    category = None
    if SERVICE_CODE.match(code):
        with _gf().engine.connect() as conn:
            category = get_category(conn, code)
    if category is None:
        raise NotFound(f"no service {code!r}", field="service_code")
    return _render(fmt, georeport.service_definition(category), "service_definition")


def _request_data() -> dict:
    """The POST's parameters as given (form-encoded as the specification shows, or JSON)."""
    check_size(64 * 1024)
    if request.mimetype == "application/json":
        data = parse_json(request.get_data(cache=True) or b"null")
        if not isinstance(data, dict):
            raise InvalidInput("the body is not a JSON object", field="body")
        if "jurisdiction_id" in data:
            _check_jurisdiction(data["jurisdiction_id"])
        return data
    data, attributes = {}, {}
    for key in request.form:
        match = _ATTRIBUTE.match(key)
        if match:
            attributes[match.group(1)] = ",".join(request.form.getlist(key))
        else:
            data[key] = request.form[key]
    if attributes:
        data["attribute"] = attributes
    return data


def _client(data: dict) -> Client:
    key = data.get("api_key")
    if not isinstance(key, str) or not key:
        raise Forbidden("api_key was not provided", field="api_key")
    with _gf().engine.connect() as conn:
        client = client_of_key(conn, key)
    if client is None:
        raise Forbidden("invalid api_key", field="api_key")
    return client


def _request_params(data: dict) -> RequestIn:
    data.pop("jurisdiction_id", None)
    params = validate(RequestIn, data)
    if (params.lat is None) != (params.long is None):
        raise InvalidInput("lat and long go together", field="long" if params.lat else "lat")
    if params.lat is None and not params.address_string and not params.address_id:
        raise InvalidInput("a location is required: lat and long, or address_string", field="lat")
    return params


def _check_attributes(category: Category, attributes: dict[str, str]) -> dict[str, str]:
    """The request's attributes checked against the service definition (the category's extra
    questions answered, the required ones among them); returns those to keep."""
    common = {c: v for c, v in attributes.items() if c in georeport.ATTRIBUTE_CODES}
    for code, value in common.items():
        keys = {v["key"] for v in georeport.ATTRIBUTE_CODES[code]["values"]}
        if keys and value not in keys:
            raise InvalidInput(f"must be one of {sorted(keys)}", field=f"attribute[{code}]")
    own = {c: v for c, v in attributes.items() if c not in common}
    try:
        answers = check_answers(list(category.questions), own)
    except QuestionError as exc:
        raise InvalidInput(exc.message, field=f"attribute[{exc.field}]") from exc
    return {**common, **answers}


@bp.post(f"/requests.{FORMAT}")
def create_request(fmt: str):
    data = _request_data()
    client = _client(data)
    gf = _gf()
    check_rate("open311", client.id, gf.config.rate_limit_per_minute)
    params = _request_params(data)
    with gf.engine.connect() as conn:
        category = get_category(conn, params.service_code)
    if category is None:
        raise InvalidInput(f"no service {params.service_code!r}", field="service_code")
    attributes = _check_attributes(category, params.attribute)
    name = " ".join(p for p in (params.first_name, params.last_name) if p) or None
    for extra in ("media_url", "device_id", "account_id", "address_id"):
        if getattr(params, extra):
            attributes[extra] = getattr(params, extra)
    lat, lng, crs = params.lat, params.long, client.datum
    if lat is None and params.address_string:
        # Placed where the gazetteer has the address, else `outside` for an operator to place.
        with gf.engine.connect() as conn:
            point = point_named(conn, params.address_string)
        if point is not None:
            (lat, lng), crs = point, "wgs84"
    report_id = uuid.uuid4()
    cmd = CaptureReport(
        id=report_id,
        channel="open311",
        category_code=params.service_code,
        description=params.description or "",
        lat=lat,
        lng=lng,
        crs=crs,
        accuracy_m=None,
        occurred_at=datetime.now(UTC),
        canonical=params.model_dump(mode="json", exclude={"api_key"}),
        reporter_contact={"name": name, "phone": params.phone, "email": params.email},
        open311_client_id=client.id,
        address=params.address_string,
        attributes=attributes,
    )
    accept(cmd)
    with gf.engine.connect() as conn:
        case_no = report_rows.case_no_of(conn, report_id)
    document = [
        {
            "service_request_id": case_no,
            "token": str(report_id),
            "service_notice": "已受理 Received; it will be dispatched to the responsible body.",
            "account_id": params.account_id,
        }
    ]
    return _render(fmt, document, "service_requests", "request", 201)


def _calendars():
    # The calendars every time limit uses: the admin's calendar days included.
    found = calendars()
    return {"working": found.working, "clock": found.clock}


def _readable(api_key: str | None) -> tuple[report_rows.Readable, Client | None]:
    """Which requests the caller may read (services.store.report_rows.Readable), and the key's
    client. A wrong key is a 403."""
    client = None
    if api_key is not None:
        with _gf().engine.connect() as conn:
            client = client_of_key(conn, api_key)
        if client is None:
            raise Forbidden("invalid api_key", field="api_key")
    return report_rows.Readable(public_channels(), client.id if client else None), client


def _shown(rows: list[dict], client: Client | None) -> list[dict]:
    """The rows as service requests, each with its status line in the reader's language and
    its after-photo once resolved, in the client's datum."""
    lang = pick_language(request.args.get("locale"), request.headers.get("Accept-Language"))
    zone = ZoneInfo(_gf().config.timezone)
    done = [r["case_id"] for r in rows if r["case_id"] and is_handled(r["status"])]
    with _gf().engine.connect() as conn:
        after = report_rows.resolution_photos(conn, done)
    shown = []
    for row in rows:
        photo = after.get(row["case_id"])
        shown.append(georeport.service_request(
            row, _calendars(), own=client is not None and row["open311_client_id"] == client.id,
            status_notes=status_note(row, lang=lang, zone=zone),
            after_photo_url=url_for("tracking.photo", photo_id=photo, _external=True)
            if photo else None,
            datum=client.datum if client else "wgs84",
        ))  # fmt: skip
    return shown


@bp.get(f"/requests.{FORMAT}")
def list_requests(fmt: str):
    q = validate(RequestsQuery, request.args.to_dict())
    readable, client = _readable(q.api_key)
    found: dict = {"limit": q.page_size, "offset": (q.page - 1) * q.page_size}
    if q.ids():
        found["case_nos"] = q.ids()
    else:
        end = q.end_date or datetime.now(UTC)
        start = q.start_date or end - DEFAULT_WINDOW
        if end - start > MAX_WINDOW:
            raise Unprocessable(f"the window from start_date to end_date is over "
                                f"{MAX_WINDOW.days} days", field="start_date")  # fmt: skip
        found.update(start=start, end=end, codes=q.codes())
        if len(set(q.statuses())) == 1:
            found.update(
                closed=list(georeport.CLOSED_STATES), open_only=q.statuses()[0] != "closed"
            )
    with _gf().engine.connect() as conn:
        rows = report_rows.service_requests(conn, readable, **found)
    return _render(fmt, _shown(rows, client), "service_requests", "request")


@bp.get(f"/requests/<service_request_id>.{FORMAT}")
def get_request(service_request_id: str, fmt: str):
    q = validate(RequestsQuery, {"api_key": request.args.get("api_key")})
    readable, client = _readable(q.api_key)
    row = None
    if CASE_NO.match(service_request_id):
        with _gf().engine.connect() as conn:
            rows = report_rows.service_requests(
                conn, readable, case_nos=[service_request_id], limit=1
            )
        row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"no request {service_request_id!r}", field="service_request_id")
    return _render(fmt, _shown([row], client), "service_requests", "request")


@bp.get(f"/tokens/<token>.{FORMAT}")
def token(token: str, fmt: str):
    try:
        report_id = uuid.UUID(token)
    except ValueError:
        raise NotFound(f"no token {token!r}", field="token") from None
    with _gf().engine.connect() as conn:
        case_no = report_rows.case_no_of(conn, report_id, channel="open311")
    if case_no is None:
        raise NotFound(f"no token {token!r}", field="token")
    document = [{"service_request_id": case_no, "token": token}]
    return _render(fmt, document, "service_requests", "request")
