"""The gazetteer (地名库): places an operator finds by name or by the initials of its pinyin
(`zbs` → 招宝山) with no map service on the internet. It holds the jurisdictions and grid
cells (copied from the grid each time places are imported) and the roads, POIs and
residential compounds of a GeoJSON or CSV file.

A file's places replace those imported before from a file of the same name. GeoJSON: a
FeatureCollection whose features have `properties.name` (and optionally `kind`: road, poi or
compound; `code`); any geometry, placed at a point on its surface. CSV (UTF-8, header):
`name,lat,lng` and optionally `kind,code`; WGS84 coordinates.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from services.store import places as store

KINDS = ("road", "poi", "compound")
# The places an address is placed at by name: a jurisdiction's point is somewhere in a
# district, street or community, no location of a problem.
PLACEABLE = (*KINDS, "cell")


class PlacesFileError(ValueError):
    """The file is not a gazetteer this importer reads; the message says where."""


@dataclass(frozen=True)
class Place:
    """One named place. `geometry` is GeoJSON (any type) or None when `lat`/`lng` give it."""

    kind: str
    name: str
    code: str | None = None
    lat: float | None = None
    lng: float | None = None
    geometry: str | None = None


def _kept(chars: str) -> list[str]:
    """Characters with no pinyin (letters, digits) kept one by one, others dropped."""
    return [c for c in chars if c.isalnum()]


def initials(name: str) -> str:
    """The first letters of the name's pinyin, lower case (招宝山路 → zbsl); letters and
    digits of the name are kept as they are (明海花园3期 → mhhy3q)."""
    # Imported here: pypinyin's dictionaries take ~2 s and ~50 MB to load, and only an
    # import of places needs them (not every process that imports this module).
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=_kept)).lower()


def spelled(name: str) -> str:
    """The name's pinyin run together, lower case (招宝山 → zhaobaoshan)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name, errors=_kept)).lower()


def read_places(path: Path) -> list[Place]:
    """The places of a GeoJSON (.geojson, .json) or CSV (.csv) file. Raises PlacesFileError
    naming the feature or line at fault."""
    if path.suffix.lower() in (".geojson", ".json"):
        return _from_geojson(path)
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    raise PlacesFileError(f"{path.name}: a .geojson, .json or .csv file is needed")


def _kind(value: object, where: str) -> str:
    kind = str(value or "poi").strip()
    if kind not in KINDS:
        raise PlacesFileError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def _name(value: object, where: str) -> str:
    name = str(value or "").strip()
    if not name:
        raise PlacesFileError(f"{where}: no name")
    return name


def _from_geojson(path: Path) -> list[Place]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlacesFileError(f"{path.name}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise PlacesFileError(f"{path.name}: not a GeoJSON FeatureCollection")
    places = []
    for i, feature in enumerate(doc.get("features") or []):
        where = f"{path.name}: feature {i}"
        props = (feature or {}).get("properties") or {}
        if not isinstance((feature or {}).get("geometry"), dict):
            raise PlacesFileError(f"{where}: no geometry")
        places.append(Place(
            _kind(props.get("kind"), where), _name(props.get("name"), where),
            str(props["code"]) if props.get("code") else None,
            geometry=json.dumps(feature["geometry"]),
        ))  # fmt: skip
    return places


def _from_csv(path: Path) -> list[Place]:
    places = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            where = f"{path.name}: line {n}"
            try:
                lat, lng = float(row.get("lat") or ""), float(row.get("lng") or "")
            except ValueError:
                raise PlacesFileError(f"{where}: lat and lng are needed as numbers") from None
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise PlacesFileError(f"{where}: lat/lng out of range")
            places.append(Place(_kind(row.get("kind"), where), _name(row.get("name"), where),
                                (row.get("code") or "").strip() or None, lat, lng))  # fmt: skip
    return places


def import_places(engine: Engine, path: Path) -> dict[str, int]:
    """Replaces the places imported from a file named as `path` by its places, and copies the
    current jurisdictions and cells into the gazetteer; returns the counts written."""
    places = read_places(path)
    rows = [{"kind": p.kind, "name": p.name, "code": p.code, "lat": p.lat, "lng": p.lng,
             "geometry": p.geometry, "initials": initials(p.name), "spelled": spelled(p.name)}
            for p in places]  # fmt: skip
    with engine.begin() as conn:
        imported = store.replace_source(conn, f"file:{path.name}", rows)
        grid = [{**r, "initials": initials(r["name"]), "spelled": spelled(r["name"])}
                for r in store.grid_places(conn)]  # fmt: skip
        copied = store.replace_source(conn, "grid", grid)
    return {"imported": imported, "grid": copied}


def point_named(conn: Connection, address: str) -> tuple[float, float] | None:
    """The WGS84 (lat, lng) of the one place named exactly `address` (surrounding spaces
    aside): a road, POI, compound or grid cell. None when no place has that name, or places
    of that name lie at different points (which one is meant is for an operator to say)."""
    points = store.named_points(conn, address.strip(), PLACEABLE)
    if len(points) != 1:
        return None
    return points[0]["lat"], points[0]["lng"]
