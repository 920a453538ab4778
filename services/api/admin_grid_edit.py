"""Grid edits for admins: split a cell along a drawn line, merge neighbouring cells, move the
edge two neighbours share to a drawn line, renumber a cell. Each edit is validated as an import
is (the same report) and, with `commit`, written as a new version of the district's grid; cases
keep the cell version they were assigned to, and reports placed from then on land in the new
cells. A renumbered cell's grid workers follow it. Admins only; audited under the admin's
name."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from geo.edit import EditError, merge_cells, move_edge, renumber_cell, split_cell
from geo.grid import Grid
from geo.importer import lock_grids, write_edit
from geo.store import cell_codes_ever, read_version
from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.http.errors import Unprocessable
from services.http.validation import json_body
from services.store.account_admin import move_cell_bindings
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


class GridEdgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cell_codes: list[str] = Field(
        min_length=2, max_length=2, description="the two neighbours whose shared edge moves"
    )
    line: list[tuple[float, float]] = Field(
        min_length=2, max_length=500, description="the new edge: [lng, lat] points, WGS84"
    )
    commit: bool = False
    note: str | None = Field(None, max_length=200)


class GridRenumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cell_code: str = Field(pattern=CELL)
    new_code: str = Field(pattern=CELL)
    commit: bool = False
    note: str | None = Field(None, max_length=200)


class GridEditOut(BaseModel):
    cells: list[str] = Field(description="the new cells' codes")
    report: dict
    committed: bool
    version: int | None


Change = Callable[[Connection, Grid], tuple[Grid, list[str]]]


def _edit(district: str, change: Change, commit: bool, note: str | None,
          after: Callable[[Connection], None] | None = None):  # fmt: skip
    """Reads the district's current grid, edits it (`change`), validates the result and, with
    `commit`, writes it as a new version and runs `after` in the same transaction."""
    with current_app.extensions["gridflow"].engine.begin() as conn:
        acting_as(conn, current_principal().username)
        lock_grids(conn)
        try:
            _, grid = read_version(conn, district)
            edited, cells = change(conn, grid)
        except LookupError as exc:
            raise Unprocessable(
                f"no current grid of district {district}", field="cell_code"
            ) from exc
        except EditError as exc:
            raise Unprocessable(exc.message, field=exc.field) from exc
        outcome = write_edit(conn, edited, source="admin-edit", note=note, commit=commit)
        written = outcome.written
        version = written.created.get(district) if written else None
        if version is not None and after is not None:
            after(conn)
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
    return _edit(body.cell_code[:6], lambda _, g: split_cell(g, body.cell_code, line), body.commit,
                 body.note)  # fmt: skip


@bp.post("/merge")
@operation("Merge neighbouring cells of one community: the report of the edited grid, and "
           "with `commit` a new grid version (the smallest code is kept)", tags=TAGS,
           body=GridMergeIn, responses={200: GridEditOut}, errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def merge():
    body = json_body(GridMergeIn)
    _cell_codes(body.cell_codes)

    def change(_: Connection, grid: Grid) -> tuple[Grid, list[str]]:
        edited, kept = merge_cells(grid, body.cell_codes)
        return edited, [kept]

    return _edit(body.cell_codes[0][:6], change, body.commit, body.note)


def _cell_codes(codes: list[str]) -> None:
    """Refuses a list of cell codes that are not 15 digits of one district, naming the code."""
    for i, code in enumerate(codes):
        if len(code) != 15 or not code.isdigit():
            raise Unprocessable(f"{code!r} is not a 15-digit cell code", field=f"cell_codes[{i}]")
    if len({c[:6] for c in codes}) != 1:
        raise Unprocessable("cells of one district only", field="cell_codes")


@bp.post("/edge")
@operation("Move the edge two neighbouring cells share to a line: the report of the edited "
           "grid, and with `commit` a new grid version (both cells keep their codes)",
           tags=TAGS, body=GridEdgeIn, responses={200: GridEditOut}, errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def edge():
    body = json_body(GridEdgeIn)
    _cell_codes(body.cell_codes)
    line = [list(p) for p in body.line]
    return _edit(body.cell_codes[0][:6], lambda _, g: move_edge(g, body.cell_codes, line),
                 body.commit, body.note)  # fmt: skip


@bp.post("/renumber")
@operation("Give a cell a new code of its community that no version of the district used: "
           "the report of the edited grid, and with `commit` a new grid version (earlier "
           "versions and their cases keep the old code; the cell's grid workers follow it)",
           tags=TAGS, body=GridRenumberIn, responses={200: GridEditOut},
           errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def renumber():
    body = json_body(GridRenumberIn)
    old, new = body.cell_code, body.new_code

    def change(conn: Connection, grid: Grid) -> tuple[Grid, list[str]]:
        edited, code = renumber_cell(grid, old, new, cell_codes_ever(conn, old[:6]))
        return edited, [code]

    return _edit(old[:6], change, body.commit, body.note,
                 after=lambda conn: move_cell_bindings(conn, old, new))  # fmt: skip
