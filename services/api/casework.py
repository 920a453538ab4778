"""What the handling views share: running a command in a unit of work with its refusals
mapped to API errors in one place, the calendars, who may act on a case, and how a case is
shown (CaseOut / CaseDetail)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from services.api.handling_schemas import (
    CaseCategory,
    CaseDetail,
    CaseEventOut,
    CaseOut,
    CasePhotoOut,
    ExtensionOut,
    Moderation,
    Names,
    RatingOut,
)
from services.auth import current_principal
from services.auth.principal import (
    ADMIN,
    DEPARTMENT_STAFF,
    GRID_WORKER,
    Principal,
    jurisdiction_level,
)
from services.auth.scope import place_scope
from services.calendars import Calendars
from services.capture.moderation import as_seen_by, sees_moderated
from services.cases.errors import CaseError, UnknownCase, UnknownReport
from services.cases.evidence import discard
from services.cases.reference import ReferenceCache
from services.cases.refusals import (
    ActionNotAllowed,
    TaskAnswered,
    UnknownTask,
    available_actions,
)
from services.cases.uow import UnitOfWork
from services.domain.merging import may_unmerge
from services.domain.questions import answered
from services.domain.routing import NotAdmitted
from services.http.errors import Conflict, NotFound, Unprocessable
from services.store.case_photos import photos_of_case
from services.store.cases import views as case_views
from services.store.cases.history import history
from services.store.scopes import Scope

PATH_FIELDS = {"case_id", "report_id", "task_id"}


def gridflow():
    return current_app.extensions["gridflow"]


def now() -> datetime:
    return datetime.now(UTC)


def calendars() -> Calendars:
    """The working/clock calendars with the stored overrides, as the process's reference data
    holds them (re-read as soon as an override changes, in any process)."""
    with gridflow().engine.connect() as conn:
        return reference().current(conn).calendars


def reference() -> ReferenceCache:
    """The process's reference data of registration and dispatch (catalog terms, routing
    rules, departments, calendars), re-read when any of it changed."""
    cache = current_app.extensions.get("gridflow.reference")
    if cache is None:
        cache = ReferenceCache(gridflow().config)
        current_app.extensions["gridflow.reference"] = cache
    return cache


@contextmanager
def command_errors() -> Iterator[None]:
    """Maps the handlers' refusals: not allowed now → 409 listing the allowed actions;
    unknown case/report/task in the path → 404; anything else wrong with the input → 422
    naming the field."""
    try:
        yield
    except ActionNotAllowed as exc:
        details = {"state": exc.state, "action": exc.action, "allowed": exc.allowed}
        if exc.why:
            details["why"] = exc.why
        raise Conflict(str(exc).split(": ", 1)[-1], field="state", details=details) from exc
    except TaskAnswered as exc:
        raise Conflict(str(exc).split(": ", 1)[-1], field=exc.field) from exc
    except (UnknownCase, UnknownReport, UnknownTask) as exc:
        error = NotFound if exc.field in PATH_FIELDS else Unprocessable
        raise error(str(exc).split(": ", 1)[-1], field=exc.field) from exc
    except NotAdmitted as exc:
        raise Unprocessable(str(exc), field="department_code") from exc
    except CaseError as exc:
        raise Unprocessable(str(exc).split(": ", 1)[-1], field=exc.field) from exc
    except IntegrityError as exc:
        raise Conflict("the case changed at the same moment; try again") from exc


def run(action: Callable[[UnitOfWork], Any]) -> Any:
    """Runs `action(uow)` in one unit of work and commits; evidence files written by a
    command whose commit fails are removed."""
    actor = current_principal().username
    with command_errors(), UnitOfWork(gridflow().engine, actor=actor) as uow:
        outcome = action(uow)
        try:
            uow.commit()
        except BaseException:
            discard(gridflow().config.media_dir, getattr(outcome, "files", ()))
            raise
    return outcome


# --- who may act on a case -------------------------------------------------------------------


def place_of(me: Principal) -> Scope:
    """The cases an operator's lists hold: its district or street (all for admins, nothing
    for other roles)."""
    return place_scope(me)


def in_place(me: Principal, row: dict[str, Any]) -> bool:
    """Whether an operator's or a leader's jurisdiction (or an admin) covers a case or report
    row."""
    if me.role == ADMIN:
        return True
    level = jurisdiction_level(me.place_code)
    return level is not None and row.get(f"{level}_code") == me.place_code


def may_see_case(me: Principal, row: dict[str, Any], reporter_id: int | None = None) -> bool:
    """Department staff: cases their department holds or held last; operators: their place;
    grid workers: their cells and their own reports; admins: everything."""
    if me.role == DEPARTMENT_STAFF:
        return row.get("department_code") is not None and row["department_code"] == (
            me.department_code
        )
    if me.role == GRID_WORKER:
        return row.get("cell_code") in me.cell_codes or (
            reporter_id is not None and reporter_id == me.user_id
        )
    return in_place(me, row)


def visible_case(case_id: uuid.UUID, allowed: Callable[[dict[str, Any]], bool]) -> dict:
    """The case row, or 404 when it does not exist or `allowed(row)` is False (the same
    answer, so nothing leaks about cases outside the caller's scope)."""
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    if row is None or not allowed(row):
        raise NotFound(f"no case {case_id}", field="case_id")
    return row


# --- how a case is shown ---------------------------------------------------------------------


def case_out(row: dict[str, Any], viewer: Principal) -> CaseOut:
    """A case row of `services.store.cases.views` as the API shows it to `viewer` (its
    report's text and answers withheld when moderation says so)."""
    answers = answered(row["questions"] or [], row["attributes"] or {})
    row = as_seen_by(viewer, {**row, "answers": answers})
    extension = None
    if row["extension_id"] is not None:
        extension = ExtensionOut(
            id=row["extension_id"],
            **{k: row[f"extension_{k}"] for k in (
                "status", "requested_by", "requested_at", "requested_due", "reason",
                "decided_by", "decided_at", "decision_reason", "new_due",
            )},
        )  # fmt: skip
    rating = None
    if row["rating"] is not None:
        rating = RatingOut(rating=row["rating"], comment=row["rating_comment"],
                           rated_at=row["rated_at"])  # fmt: skip
    department = None
    if row["department_code"] is not None and row["department_zh"] is not None:
        department = Names(zh=row["department_zh"], en=row["department_en"] or row["department_zh"])
    pending = extension is not None and extension.status == "pending"
    return CaseOut(
        **{k: row[k] for k in CaseOut.model_fields if k in row and k not in _COMPOSED},
        category=CaseCategory(
            code=row["category_code"],
            name=Names(zh=row["name_zh"], en=row["name_en"]),
            priority=row["priority"],
        ),  # fmt: skip
        department=department,
        extension=extension,
        rating=rating,
        moderation=Moderation(
            hidden=row["hidden"], redacted=row["redacted"], photos_hidden=row["photos_hidden"]
        ),  # fmt: skip
        actions=available_actions(
            row["state"],
            extension_pending=pending,
            rated=row["rating"] is not None,
            unmergeable=may_unmerge(row["state"], row.get("merged_at"), now()),
        ),
    )


_COMPOSED = {"category", "department", "extension", "rating", "moderation", "actions"}


def case_detail(row: dict[str, Any], viewer: Principal) -> CaseDetail:
    """The case with its history and its photos (report photos and evidence) as `viewer` may
    see them: report photos that moderation withholds are left out."""
    with gridflow().engine.connect() as conn:
        events = history(conn, row["id"])
        photos = photos_of_case(conn, row["id"])
    base = case_out(row, viewer).model_dump()
    return CaseDetail(
        **base,
        timeline=[CaseEventOut(**e) for e in events],
        photos=[
            CasePhotoOut(
                id=p["id"],
                kind=p["kind"],
                media_type=p["media_type"],
                width=p["width"],
                height=p["height"],
                url=photo_url(row["id"], p["id"], False),
                thumbnail_url=photo_url(row["id"], p["id"], True),
            )  # fmt: skip
            for p in photos
            if not p["hidden"] or sees_moderated(viewer)
        ],
    )


def photo_url(case_id: uuid.UUID, photo_id: uuid.UUID, thumbnail: bool) -> str:
    return url_for("verification.case_photo", case_id=case_id, photo_id=photo_id,
                   thumbnail=1 if thumbnail else None)  # fmt: skip
