"""The grid for admins: its version history, a version exported as GeoJSON (the import format),
and a GeoJSON file checked by the importer — its report (overlaps, gaps, invalid rings, code
clashes, with where they are) shown before anything is written — then committed as a new
version (cases keep the cell version they were assigned to). Admins only; versions are audited
by the table's trigger under the admin's name."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from geo.geojson_io import feature_collection
from geo.importer import import_grid
from geo.store import read_version
from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.http.errors import InvalidInput, NotFound, Unprocessable
from services.http.validation import query_args
from services.store.audit_log import acting_as
from services.store.grid_versions import version_rows

bp = Blueprint("admin_grid", __name__, url_prefix="/api/v1/admin/grid")
TAGS = ["admin"]
MAX_FILE = 60 * 1024 * 1024


class GridVersionOut(BaseModel):
    id: int
    district_code: str
    valid_from: datetime
    valid_to: datetime | None
    source: str
    note: str | None
    cell_count: int
    current: bool


class GridVersionList(BaseModel):
    items: list[GridVersionOut]


class GridExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: str = Field(pattern=r"^[0-9]{6}$")
    version: int | None = Field(None, ge=1)


class GridImportOut(BaseModel):
    report: dict = Field(description="the importer's report: ok, counts, problems with places")
    committed: bool
    created: dict[str, int] = Field(default_factory=dict, description="district → new version")


def _engine():
    return current_app.extensions["gridflow"].engine


@bp.get("/versions")
@operation("The grid versions, newest first", tags=TAGS, responses={200: GridVersionList})
@requires(ADMIN)
def versions():
    with _engine().connect() as conn:
        items = [GridVersionOut(**r) for r in version_rows(conn)]
    return jsonify(GridVersionList(items=items).model_dump(mode="json"))


@bp.get("/export")
@operation("One district's grid (current or a past version) as GeoJSON, the import format",
           tags=TAGS, query=GridExportQuery, responses={200: None}, errors=(404, 422))  # fmt: skip
@requires(ADMIN)
def export():
    query = query_args(GridExportQuery)
    with _engine().connect() as conn:
        try:
            version, grid = read_version(conn, query.district, query.version)
        except LookupError as exc:
            raise NotFound(str(exc), field="version") from exc
    body = feature_collection(grid.jurisdictions.values(), grid.cells, version=version)
    resp = jsonify(body)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="grid-{query.district}-v{version}.geojson"'
    )
    return resp


@bp.post("/import")
@operation(
    "Check a GeoJSON grid file (multipart `file`) with the importer and answer its report; "
    "with `commit=true` and no errors, write it as new versions (422 when refused)",
    tags=TAGS, responses={200: GridImportOut}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def import_file():
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("file: a GeoJSON file is required", field="file")
    data = upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise Unprocessable("the file is larger than 60 MB", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("a GeoJSON file must be UTF-8", field="file") from exc
    commit = request.form.get("commit", "false").lower() == "true"
    actor = current_principal().username
    outcome = import_grid(
        _engine(), text, source="admin", note=request.form.get("note") or None,
        dry_run=not commit, progress=False, on_begin=lambda conn: acting_as(conn, actor),
    )  # fmt: skip
    written = outcome.written
    out = GridImportOut(report=outcome.report.to_dict(), committed=written is not None,
                    created=dict(written.created) if written else {})  # fmt: skip
    return jsonify(out.model_dump()), 422 if commit and written is None else 200
