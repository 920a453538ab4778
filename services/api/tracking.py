"""The reporter's side of the loop (快速反馈), without an account: the tracking page
`/t/<token>` (the token the Open311 POST returned; or found by case number and the last four
digits of the reporter's phone), the reporter's one rating after closure, and the after-photo
of a resolved request (also Open311's `media_url`).

Only reports that came by a public channel (config `open311_public_channels`) and that
moderation has not hidden are tracked; anything else answers as a missing one. Pages are
mobile-first, Chinese first (`?lang=en` for English), never indexed (noindex), and every route
is rate-limited per client address.
"""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file
from pydantic import BaseModel, ConfigDict, Field

from services.api.casework import calendars, command_errors, now
from services.api.handling_schemas import Rating
from services.api.security_headers import inline_policy
from services.api.tracking_view import WORDS, tracking_page
from services.auth.decorators import check_rate
from services.capture import media
from services.cases.commands import RateCase
from services.cases.field import rate_case
from services.cases.uow import UnitOfWork
from services.http.errors import ApiError, NotFound
from services.http.validation import json_body
from services.store import report_rows
from services.store.cases.history import public_events

bp = Blueprint("tracking", __name__, url_prefix="/t", template_folder="templates")
REPORTER = "reporter"  # the actor of a rating given on the tracking page


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_no: str = Field(pattern=r"^[0-9]{14,20}$")
    phone_last4: str = Field(pattern=r"^[0-9]{4}$")


class TrackRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Rating
    comment: str = Field(default="", max_length=1000)


def _gf():
    return current_app.extensions["gridflow"]


def public_channels() -> list[str]:
    """The channels whose reports the public may follow."""
    return [c.strip() for c in _gf().config.open311_public_channels.split(",") if c.strip()]


def _limited(bucket: str, per_minute: int) -> None:
    check_rate(f"track-{bucket}", request.remote_addr or "-", per_minute, burst=per_minute)


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "zh"


def _page(template: str, http_status: int = 200, **context) -> Response:
    html = render_template(template, **context)
    policy = inline_policy(html).replace("form-action 'none'", "form-action 'self'")
    return Response(html, http_status, mimetype="text/html", headers={
        "Content-Security-Policy": policy, "X-Robots-Tag": "noindex, nofollow",
        "Cache-Control": "private, no-store"})  # fmt: skip


def _tracked(token: str) -> dict:
    """The report of a token, when the public may follow it; else 404."""
    try:
        report_id = UUID(token)
    except ValueError:
        raise NotFound(f"no token {token!r}", field="token") from None
    with _gf().engine.connect() as conn:
        row = report_rows.get_report(conn, report_id)
    if row is None or row["hidden"] or row["channel"] not in public_channels():
        raise NotFound(f"no token {token!r}", field="token")
    return row


@bp.get("")
def lookup_page():
    _limited("view", _gf().config.rate_limit_per_minute)
    lang = _lang()
    return _page("tracking/lookup.html", lang=lang, words=WORDS[lang])


@bp.post("/lookup")
def lookup():
    _limited("lookup", _gf().config.login_rate_per_minute)
    body = json_body(LookupIn)
    with _gf().engine.connect() as conn:
        found = report_rows.report_by_phone_digits(conn, body.case_no, body.phone_last4,
                                               public_channels())  # fmt: skip
    if found is None:
        raise NotFound("no case of this number with this phone", field="case_no")
    return jsonify({"token": str(found), "url": f"{bp.url_prefix}/{found}"})


@bp.get("/<token>")
def track(token: str):
    _limited("view", _gf().config.rate_limit_per_minute)
    lang = _lang()
    try:
        row = _tracked(token)
    except NotFound:
        return _page("tracking/lookup.html", 404, lang=lang, words=WORDS[lang],
                     missing=True)  # fmt: skip
    events, after = [], None
    if row["case_id"] is not None:
        with _gf().engine.connect() as conn:
            events = public_events(conn, row["case_id"])
            after = report_rows.resolution_photos(conn, [row["case_id"]]).get(row["case_id"])
    context = tracking_page(row, events, str(after) if after else None, lang=lang,
                            zone=ZoneInfo(_gf().config.timezone))  # fmt: skip
    return _page("tracking/page.html", token=token, **context)


@bp.post("/<token>/rating")
def rate(token: str):
    _limited("rating", _gf().config.login_rate_per_minute)
    row = _tracked(token)
    body = json_body(TrackRatingIn)
    if row["case_id"] is None:
        raise ApiError("only a closed case is rated", field="state", status=409)
    cmd = RateCase(row["case_id"], REPORTER, body.rating, body.comment.strip())
    with command_errors(), UnitOfWork(_gf().engine, actor=REPORTER) as uow:
        rate_case(uow, cmd, now=now(), calendars=calendars(),
                  revisit_hours=_gf().config.revisit_working_hours)  # fmt: skip
        uow.commit()
    return jsonify({"rating": body.rating})


@bp.get("/photos/<uuid:photo_id>")
def photo(photo_id: UUID):
    with _gf().engine.connect() as conn:
        row = report_rows.public_after_photo(conn, photo_id, public_channels())
    if row is None:
        raise NotFound(f"no photo {photo_id}", field="photo_id")
    path = media.resolve(_gf().config.media_dir, row["path"])
    if not path.is_file():
        raise NotFound("the photo file is missing", field="photo_id")
    response = send_file(path, mimetype=row["media_type"], conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
