"""The catalog for admins: every category with its time limits, priority, duplicate radius and
admission flag, changed one at a time or replaced from the YAML the CLI loads; exported as that
YAML. Admins only; every change is in the audit trail. Routing and registration read the new
terms at once (their reference data notices the catalog changed)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.capture.answers import forget_questions
from services.catalog import yamlfile
from services.catalog.schemas import CategoryList, CategoryOut, QuestionsIn
from services.domain.questions import QuestionError, check_questions
from services.http.errors import InvalidInput, NotFound, Unprocessable
from services.http.validation import json_body
from services.store import catalog as store
from services.store.audit_log import acting_as

bp = Blueprint("admin_catalog", __name__, url_prefix="/api/v1/admin/categories")
TAGS = ["admin"]
MAX_FILE = 2 * 1024 * 1024


class CategoryTermsIn(BaseModel):
    """A category's names and terms (its code, family and classes stay)."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=100)
    priority: str = Field(pattern="^(urgent|normal)$")
    ack_limit_minutes: int = Field(ge=1, le=60 * 24 * 30)
    resolve_limit_minutes: int = Field(ge=1, le=60 * 24 * 365)
    around_the_clock: bool
    community_admissible: bool
    duplicate_radius_m: int = Field(ge=1, le=5000)
    duplicate_window_minutes: int = Field(ge=1, le=60 * 24 * 365)


class CatalogImportOut(BaseModel):
    categories: int


def _engine():
    return current_app.extensions["gridflow"].engine


@bp.get("")
@operation("Every active category with its terms", tags=TAGS, responses={200: CategoryList})
@requires(ADMIN)
def categories():
    with _engine().connect() as conn:
        items = [CategoryOut(**r) for r in store.category_rows(conn)]
    return jsonify(CategoryList(items=items).model_dump())


@bp.put("/<code>")
@operation("Change a category's names and terms; taking it off the admission list is refused "
           "while a community committee's list holds it", tags=TAGS, body=CategoryTermsIn,
           responses={200: CategoryOut}, errors=(400, 404, 422))  # fmt: skip
@requires(ADMIN)
def put_terms(code: str):
    body = json_body(CategoryTermsIn).model_dump()
    with _engine().begin() as conn:
        acting_as(conn, current_principal().username)  # the table's trigger audits the change
        committees = store.committees_admitting(conn, code)
        if committees and not body["community_admissible"]:
            raise Unprocessable(
                f"on the admission list of {', '.join(committees)}: take it off there first",
                field="community_admissible",
            )
        if store.update_terms(conn, code, body) is None:
            raise NotFound(f"no category {code}", field="code")
        row = store.get_category(conn, code)
    return jsonify(CategoryOut(**row.__dict__).model_dump())


@bp.put("/<code>/questions")
@operation("Set a category's extra questions (text or a choice list, required or not), asked on "
           "the phone's report form and in its Open311 service definition", tags=TAGS,
           body=QuestionsIn, responses={200: CategoryOut}, errors=(400, 404, 422))  # fmt: skip
@requires(ADMIN)
def put_questions(code: str):
    body = json_body(QuestionsIn)
    try:
        questions = check_questions([q.model_dump() for q in body.questions])
    except QuestionError as exc:
        raise Unprocessable(exc.message, field=exc.field) from exc
    with _engine().begin() as conn:
        acting_as(conn, current_principal().username)  # the table's trigger audits the change
        if not store.set_questions(conn, code, questions):
            raise NotFound(f"no category {code}", field="code")
        row = store.get_category(conn, code)
    forget_questions(_engine())
    return jsonify(CategoryOut(**row.__dict__).model_dump())


@bp.get("/export")
@operation("The catalog as the YAML `gridflow catalog load` reads", tags=TAGS,
           responses={200: None})  # fmt: skip
@requires(ADMIN)
def export():
    with _engine().connect() as conn:
        text = yamlfile.dump(store.category_rows(conn))
    disposition = 'attachment; filename="categories.yaml"'
    return Response(text, mimetype="application/yaml",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@bp.post("/import")
@operation("Create or replace categories from a catalog YAML file (multipart `file`), all or "
           "nothing; a class's `questions` replace its extra questions (a bad one is named as "
           "`file.<code>.questions[i].<key>`)", tags=TAGS, responses={200: CatalogImportOut},
           errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def import_file():
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("file: a catalog YAML file is required", field="file")
    data = upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise Unprocessable("the file is larger than 2 MB", field="file")
    try:
        rows = yamlfile.parse(data.decode("utf-8"))
    except yamlfile.CatalogFileError as exc:
        field = f"file.{exc.field}" if exc.field else "file"
        raise Unprocessable(f"not a catalog file: {exc}", field=field) from exc
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"not a catalog file: {exc}", field="file") from exc
    with _engine().begin() as conn:
        acting_as(conn, current_principal().username)  # the table's trigger audits each row
        for row in rows:
            committees = store.committees_admitting(conn, row["code"])
            if committees and not row["community_admissible"]:
                raise Unprocessable(
                    f"category {row['code']} is on the admission list of "
                    f"{', '.join(committees)}: it must stay community-admissible",
                    field="file",
                )
        store.upsert_rows(conn, rows)
    forget_questions(_engine())  # a file's questions apply to the next report
    return jsonify(CatalogImportOut(categories=len(rows)).model_dump())
