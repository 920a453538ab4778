"""Grids in PostGIS: write a grid as new versions, read the current cells, export a version.

`write_grid` runs inside the caller's transaction; all of its writes commit or none do. After
the commit, listeners on the `gridflow_grid` channel hear the new version ids (NOTIFY is sent in
the transaction, and PostgreSQL delivers it only on commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from sqlalchemy import Connection, event, text

from geo.grid import Cell, Grid, Jurisdiction
from geo.schema import GRID_CHANNEL

_LEVEL_ORDER = {"district": 0, "street": 1, "community": 2}
_local_writes = [0]


def local_writes() -> int:
    """How many grid writes this process has committed: lets an index in the same process see
    its own writes at once (other processes hear the NOTIFY a moment later)."""
    return _local_writes[0]


def _count_local_write(*_args) -> None:
    _local_writes[0] += 1


@dataclass
class WriteResult:
    """What an import changed: new version id per district, and districts left as they were."""

    created: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)


def jurisdiction_codes(conn: Connection) -> set[str]:
    """Codes of every jurisdiction already in the database."""
    return set(conn.execute(text("SELECT code FROM jurisdiction")).scalars())


def current_versions(conn: Connection) -> dict[str, dict]:
    """The current version of each district's grid: id, checksum, cell count, valid_from."""
    rows = conn.execute(
        text(
            "SELECT district_code, id, checksum, cell_count, valid_from, source "
            "FROM grid_version WHERE valid_to IS NULL"
        )
    ).mappings()
    return {r["district_code"]: dict(r) for r in rows}


def cell_codes_ever(conn: Connection, district_code: str) -> set[str]:
    """Every cell code any version of the district's grid used (current and retired)."""
    return {
        code.strip()
        for code in conn.execute(
            text(
                "SELECT DISTINCT c.code FROM grid_cell c "
                "JOIN grid_version v ON v.id = c.version_id WHERE v.district_code = :d"
            ),
            {"d": district_code},
        ).scalars()
    }


def grid_token(conn: Connection) -> int:
    """Changes whenever a grid version is created: the newest version id (0 for no grid)."""
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM grid_version")).scalar_one())


def other_districts_cells(conn: Connection, grid: Grid) -> list[tuple[str, object]]:
    """(code, geometry) of current cells of districts other than the grid's, in its extent."""
    if not grid.cells:
        return []
    x0, y0, x1, y1 = shapely.total_bounds([c.geom for c in grid.cells])
    rows = conn.execute(
        text(
            "SELECT c.code, ST_AsBinary(c.geom) FROM grid_cell c "
            "JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL "
            "WHERE c.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
            "AND NOT (c.district_code = ANY(:districts))"
        ),
        {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "districts": grid.district_codes()},
    ).all()
    return [(code.strip(), shapely.from_wkb(bytes(wkb))) for code, wkb in rows]


def _upsert_jurisdictions(conn: Connection, jurisdictions: list[Jurisdiction]) -> None:
    rows = [
        {
            "code": j.code,
            "level": j.level,
            "name": j.name,
            "parent": j.parent_code,
            "wkb": None if j.geom is None else shapely.to_wkb(j.geom),
        }
        for j in sorted(jurisdictions, key=lambda j: (_LEVEL_ORDER[j.level], j.code))
    ]
    if not rows:
        return
    conn.execute(
        text(
            """
            INSERT INTO jurisdiction (code, level, name, parent_code, geom)
            VALUES (:code, :level, :name, :parent, ST_Multi(ST_GeomFromWKB(:wkb, 4326)))
            ON CONFLICT (code) DO UPDATE SET
                level = EXCLUDED.level,
                name = EXCLUDED.name,
                parent_code = EXCLUDED.parent_code,
                geom = coalesce(EXCLUDED.geom, jurisdiction.geom),
                updated_at = now()
            """
        ),
        rows,
    )


def _copy_cells(conn: Connection, version_id: int, cells: list[Cell]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY grid_cell (version_id, code, name, community_code, street_code, district_code,"
            " geom) FROM STDIN"
        ) as copy:
            for cell in cells:
                ewkb = shapely.to_wkb(cell.geom, hex=True, include_srid=False)
                copy.write_row(
                    (
                        version_id,
                        cell.code,
                        cell.name,
                        cell.community_code,
                        cell.street_code,
                        cell.district_code,
                        f"SRID=4326;{ewkb}",
                    )
                )


def write_grid(conn: Connection, grid: Grid, source: str, note: str | None = None) -> WriteResult:
    """Stores `grid`: jurisdictions upserted, one new version for each changed district.

    A district whose cells (codes, names, geometry) equal its current version is left alone.
    The previous version of a changed district gets `valid_to = now()`; its cells stay as they
    were, so whatever references them keeps its history.
    """
    result = WriteResult()
    _upsert_jurisdictions(conn, list(grid.jurisdictions.values()))
    current = current_versions(conn)
    for district in grid.district_codes():
        checksum = grid.checksum(district)
        existing = current.get(district)
        if existing is not None and existing["checksum"] == checksum:
            result.unchanged[district] = existing["id"]
            continue
        cells = grid.cells_of(district)
        conn.execute(
            text(
                "UPDATE grid_version SET valid_to = now() "
                "WHERE district_code = :d AND valid_to IS NULL"
            ),
            {"d": district},
        )
        version_id = conn.execute(
            text(
                "INSERT INTO grid_version (district_code, source, note, cell_count, checksum) "
                "VALUES (:d, :source, :note, :n, :checksum) RETURNING id"
            ),
            {"d": district, "source": source, "note": note, "n": len(cells), "checksum": checksum},
        ).scalar_one()
        _copy_cells(conn, version_id, cells)
        result.created[district] = version_id
    if result.created:
        event.listen(conn, "commit", _count_local_write, once=True)
        payload = ",".join(str(v) for v in result.created.values())
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": GRID_CHANNEL, "payload": payload},
        )
    return result


@dataclass
class CellRows:
    """Cells of current versions as parallel arrays, in code order (what an index is built from)."""

    ids: np.ndarray
    codes: np.ndarray
    versions: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    jurisdiction_names: dict[str, str]
    token: int


def load_current_cells(conn: Connection) -> CellRows:
    """Every cell of every current grid version, with the names of all jurisdictions."""
    token = grid_token(conn)
    rows = conn.execute(
        text(
            "SELECT c.id, c.code, c.version_id, c.name, ST_AsBinary(c.geom) "
            "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
            "WHERE v.valid_to IS NULL ORDER BY c.code"
        )
    ).all()
    names = dict(conn.execute(text("SELECT code, name FROM jurisdiction")).all())
    if not rows:
        empty = np.array([], dtype=object)
        return CellRows(
            np.array([], dtype=np.int64),
            empty,
            np.array([], dtype=np.int64),
            empty,
            empty,
            names,
            token,
        )
    ids, codes_, versions, cell_names, wkbs = zip(*rows, strict=True)
    return CellRows(
        ids=np.array(ids, dtype=np.int64),
        codes=np.array([c.strip() for c in codes_], dtype=object),
        versions=np.array(versions, dtype=np.int64),
        names=np.array(cell_names, dtype=object),
        geoms=shapely.from_wkb(np.array([bytes(w) for w in wkbs], dtype=object)),
        jurisdiction_names=names,
        token=token,
    )


def read_version(
    conn: Connection, district_code: str, version_id: int | None = None
) -> tuple[int, Grid]:
    """One district's grid at a version (default: the current one) with its jurisdictions.

    Raises LookupError when the district has no such version.
    """
    if version_id is None:
        version_id = conn.execute(
            text("SELECT id FROM grid_version WHERE district_code = :d AND valid_to IS NULL"),
            {"d": district_code},
        ).scalar()
    else:
        version_id = conn.execute(
            text("SELECT id FROM grid_version WHERE district_code = :d AND id = :v"),
            {"d": district_code, "v": version_id},
        ).scalar()
    if version_id is None:
        raise LookupError(f"district {district_code} has no such grid version")
    grid = Grid()
    for code, level, name, wkb in conn.execute(
        text(
            "SELECT code, level, name, ST_AsBinary(geom) FROM jurisdiction "
            "WHERE left(code, 6) = :d ORDER BY code"
        ),
        {"d": district_code},
    ):
        geom = None if wkb is None else shapely.from_wkb(bytes(wkb))
        grid.jurisdictions[code] = Jurisdiction(code, level, name, geom)
    for code, name, wkb in conn.execute(
        text(
            "SELECT code, name, ST_AsBinary(geom) FROM grid_cell "
            "WHERE version_id = :v ORDER BY code"
        ),
        {"v": version_id},
    ):
        grid.cells.append(Cell(code.strip(), name, shapely.from_wkb(bytes(wkb))))
    return version_id, grid
