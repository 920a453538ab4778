"""The one command every channel uses to accept a report (一门受理): `capture_report`.

Guarantees: when it returns, the report row, its photos' rows and its `ReportCaptured` outbox
event are committed together (the photo files were written and fsynced before). The same id
with the same body returns the stored report (created=False); with another body, CaptureConflict.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from services.capture import media, store
from services.capture.photos import CleanPhoto, clean_photo, upload_digest
from services.catalog.store import Category, get_category
from services.events import REPORTS
from services.store.outbox import enqueue


class CaptureConflict(Exception):
    """A report with this id exists with a different body (→ 409)."""


class UnknownCategory(Exception):
    """The category code is not in the active catalog (→ 422)."""


@dataclass(frozen=True)
class PhotoUpload:
    kind: str  # before | after
    field: str  # the request field it came in, for error messages
    data: bytes
    declared_type: str | None


@dataclass(frozen=True)
class CaptureReport:
    """A report as a channel received it (coordinates in the datum `crs` names)."""

    id: uuid.UUID
    channel: str
    category_code: str
    description: str
    lat: float | None
    lng: float | None
    crs: str
    accuracy_m: float | None
    occurred_at: datetime
    canonical: dict[str, Any]  # the validated body, for the idempotency hash
    handled_on_spot: bool = False
    reporter_id: int | None = None
    reporter_contact: dict[str, str | None] = field(default_factory=dict)
    open311_client_id: int | None = None
    address: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    photos: tuple[PhotoUpload, ...] = ()

    def body_hash(self) -> str:
        doc = {
            "body": self.canonical,
            "photos": [[p.kind, upload_digest(p.data)] for p in self.photos],
        }
        raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Captured:
    report_id: uuid.UUID
    created: bool


Locate = Callable[[float, float, str, "float | None"], Any]


class _LostRace(Exception):
    pass


def capture_report(engine: Engine, media_dir: str, locate: Locate, cmd: CaptureReport) -> Captured:
    """Accepts a report durably (see module docstring). Raises UnknownCategory,
    CaptureConflict, photos.PhotoRejected, geo.datum.UnknownDatum / InvalidCoordinate."""
    body_hash = cmd.body_hash()
    with engine.connect() as conn:
        stored = store.find_report_hash(conn, cmd.id)
        category = get_category(conn, cmd.category_code)
    if stored is not None:
        return _replay(cmd.id, stored, body_hash)
    if category is None:
        raise UnknownCategory(cmd.category_code)
    clean = [(p, clean_photo(p.data, p.declared_type, p.field)) for p in cmd.photos]
    if cmd.lat is None or cmd.lng is None:
        placement = None
    else:
        placement = locate(cmd.lat, cmd.lng, cmd.crs, cmd.accuracy_m)
    written: list[str] = []
    try:
        _write(engine, media_dir, cmd, category, placement, clean, body_hash, written)
    except _LostRace:
        media.remove_files(media_dir, written)
        with engine.connect() as conn:
            stored = store.find_report_hash(conn, cmd.id)
        return _replay(cmd.id, stored, body_hash)
    except BaseException:
        media.remove_files(media_dir, written)
        raise
    return Captured(cmd.id, created=True)


def _replay(report_id: uuid.UUID, stored_hash: str | None, body_hash: str) -> Captured:
    if stored_hash != body_hash:
        raise CaptureConflict(f"report {report_id} exists with a different body")
    return Captured(report_id, created=False)


def _write(engine, media_dir, cmd, category, placement, clean, body_hash, written) -> None:
    received_at = datetime.now(UTC)
    values = _row(cmd, placement, received_at, body_hash)
    with engine.begin() as conn:
        if not store.insert_report(conn, values):
            raise _LostRace()
        positions = {"before": 0, "after": 0}
        for upload, photo in clean:
            photo_id = uuid.uuid4()
            path, thumb = media.store_photo(media_dir, cmd.id, photo_id, photo)
            written += [path, thumb]
            store.insert_photo(conn, _photo_row(cmd.id, photo_id, upload, photo, path, thumb,
                                                positions[upload.kind]))  # fmt: skip
            positions[upload.kind] += 1
        values["case_no"] = store.assign_case_no(conn, cmd.id, values["district_code"], received_at)
        enqueue(conn, REPORTS, _key(values), "ReportCaptured", _payload(values, category))


def _row(cmd: CaptureReport, placement: Any, received_at: datetime, body_hash: str) -> dict:
    contact = cmd.reporter_contact
    return {
        "id": cmd.id,
        "case_no": f"pending:{cmd.id}",
        "channel": cmd.channel,
        "reporter_id": cmd.reporter_id,
        "reporter_name": contact.get("name"),
        "reporter_phone": contact.get("phone"),
        "reporter_email": contact.get("email"),
        "open311_client_id": cmd.open311_client_id,
        "category_code": cmd.category_code,
        "description": cmd.description,
        "address": cmd.address,
        "attributes": cmd.attributes,
        "lat": placement.lat if placement else None,
        "lng": placement.lng if placement else None,
        "crs": cmd.crs,
        "accuracy_m": cmd.accuracy_m,
        "placement": placement.status if placement else "outside",
        "distance_m": placement.distance_m if placement else None,
        "cell_id": placement.cell_id if placement else None,
        "cell_code": placement.cell_code if placement else None,
        "grid_version": placement.grid_version if placement else None,
        "community_code": placement.community_code if placement else None,
        "street_code": placement.street_code if placement else None,
        "district_code": placement.district_code if placement else None,
        "occurred_at": cmd.occurred_at,
        "received_at": received_at,
        "handled_on_spot": cmd.handled_on_spot,
        "body_hash": body_hash,
    }


def _photo_row(report_id, photo_id, upload: PhotoUpload, photo: CleanPhoto, path, thumb, pos):
    return {
        "id": photo_id,
        "report_id": report_id,
        "kind": upload.kind,
        "position": pos,
        "media_type": photo.media_type,
        "path": path,
        "thumb_path": thumb,
        "width": photo.width,
        "height": photo.height,
        "bytes": len(photo.data),
        "sha256": photo.sha256,
    }


def _key(values: dict) -> str:
    if values["cell_code"]:
        return values["cell_code"]
    return f"outside:{values['district_code']}" if values["district_code"] else "outside"


def _payload(values: dict, category: Category) -> dict[str, Any]:
    """Everything the router needs to register the case without reading the report row."""
    return {
        "report_id": str(values["id"]),
        "case_no": values["case_no"],
        "channel": values["channel"],
        "category_code": values["category_code"],
        "priority": category.priority,
        "description": values["description"],
        "lat": values["lat"],
        "lng": values["lng"],
        "placement": values["placement"],
        "distance_m": values["distance_m"],
        "cell_id": values["cell_id"],
        "cell_code": values["cell_code"],
        "grid_version": values["grid_version"],
        "community_code": values["community_code"],
        "street_code": values["street_code"],
        "district_code": values["district_code"],
        "occurred_at": values["occurred_at"].isoformat(),
        "received_at": values["received_at"].isoformat(),
        "handled_on_spot": values["handled_on_spot"],
        "reporter_id": values["reporter_id"],
    }
