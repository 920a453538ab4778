"""Grid edits for admins: split a cell along a drawn line, merge neighbouring cells. Each edit
is validated as an import is (the same report) and, with `commit`, written as a new version of
the district's grid; cases keep the cell version they were assigned to, and reports placed
from then on land in the new cells. Admins only; audited under the admin's name."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from geo.edit import EditError, merge_cells, split_cell
from geo.grid import Grid
from geo.importer import lock_grids, write_edit
from geo.store import read_version
from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.http.errors import Unprocessable
from services.http.validation import json_body
from services.store.audit_log import acting_as

bp = Blueprint("admin_grid_edit", __name__, url_prefix="/api/v1/admin/grid")
TAGS = ["admin"]
CELL = r"^[0-9]{15}$"


class GridSplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cell_code: str = Field(pattern=CELL)
    line: list[tuple[float, float]] = Field(min_length=2, max_length=500,
                                            description="[lng, lat] points, WGS84")  # fmt: skip
    commit: bool = False
    note: str | None = Field(None, max_length=200)


class GridMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cell_codes: list[str] = Field(min_length=2, max_length=20)
    commit: bool = False
    note: str | None = Field(None, max_length=200)


class GridEditOut(BaseModel):
    cells: list[str] = Field(description="the new cells' codes")
    report: dict
    committed: bool
    version: int | None


def _edit(district: str, change: Callable[[Grid], tuple[Grid, list[str]]], commit: bool,
          note: str | None):  # fmt: skip
    with current_app.extensions["gridflow"].engine.begin() as conn:
        acting_as(conn, current_principal().username)
        lock_grids(conn)
        try:
            _, grid = read_version(conn, district)
            edited, cells = change(grid)
        except LookupError as exc:
            raise Unprocessable(
                f"no current grid of district {district}", field="cell_code"
            ) from exc
        except EditError as exc:
            raise Unprocessable(exc.message, field=exc.field) from exc
        outcome = write_edit(conn, edited, source="admin-edit", note=note, commit=commit)
    written = outcome.written
    version = written.created.get(district) if written else None
    out = GridEditOut(cells=cells, report=outcome.report.to_dict(), committed=version is not None,
                  version=version)  # fmt: skip
    return jsonify(out.model_dump()), 422 if commit and version is None else 200


@bp.post("/split")
@operation("Split a cell in two along a line: the report of the edited grid, and with `commit` "
           "a new grid version (the cell's code is retired for two new ones)", tags=TAGS,
           body=GridSplitIn, responses={200: GridEditOut}, errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def split():
    body = json_body(GridSplitIn)
    line = [list(p) for p in body.line]
    return _edit(body.cell_code[:6], lambda g: split_cell(g, body.cell_code, line), body.commit,
                 body.note)  # fmt: skip


@bp.post("/merge")
@operation("Merge neighbouring cells of one community: the report of the edited grid, and "
           "with `commit` a new grid version (the smallest code is kept)", tags=TAGS,
           body=GridMergeIn, responses={200: GridEditOut}, errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def merge():
    body = json_body(GridMergeIn)
    for i, code in enumerate(body.cell_codes):
        if len(code) != 15 or not code.isdigit():
            raise Unprocessable(f"{code!r} is not a 15-digit cell code", field=f"cell_codes[{i}]")
    if len({c[:6] for c in body.cell_codes}) != 1:
        raise Unprocessable("cells of one district only", field="cell_codes")

    def change(grid: Grid) -> tuple[Grid, list[str]]:
        edited, kept = merge_cells(grid, body.cell_codes)
        return edited, [kept]

    return _edit(body.cell_codes[0][:6], change, body.commit, body.note)
