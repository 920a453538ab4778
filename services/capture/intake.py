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
from sqlalchemy.exc import IntegrityError

from services.capture import media
from services.capture.photos import CleanPhoto, clean_photo, upload_digest
from services.capture.writer import writer_for
from services.envelopes import REPORTS, envelope
from services.store import report_writes
from services.store.db import retry_on_disconnect


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
    # A hotline call about a case already open: the router merges the report into it.
    attach_to: uuid.UUID | None = None

    def body_hash(self) -> str:
        doc = {
            "body": self.canonical,
            "photos": [[p.kind, upload_digest(p.data)] for p in self.photos],
        }
        raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Captured:
    """The outcome of `capture_report`: `report` is the row as written (the columns of
    `services.store.report_rows.get_report` and its `photos`) when `created`, else None."""

    report_id: uuid.UUID
    created: bool
    report: dict[str, Any] | None = None


Locate = Callable[[float, float, str, "float | None"], Any]


def capture_report(engine: Engine, media_dir: str, locate: Locate, cmd: CaptureReport) -> Captured:
    """Accepts a report durably (see module docstring). Raises UnknownCategory,
    CaptureConflict, photos.PhotoRejected, geo.datum.UnknownDatum / InvalidCoordinate.

    The report, its photo rows and its outbox event are one statement on one connection
    (shared with the reports of concurrent requests, see `services.capture.writer`),
    committed on its own (photo files are written and fsynced before it and removed if it
    stores nothing). A connection that turns out dead (PostgreSQL restarted since it was
    last used) is replaced and the statement tried once more: it is idempotent by report id."""
    body_hash = cmd.body_hash()
    clean = [(p, clean_photo(p.data, p.declared_type, p.field)) for p in cmd.photos]
    if cmd.lat is None or cmd.lng is None:
        placement = None
    else:
        placement = locate(cmd.lat, cmd.lng, cmd.crs, cmd.accuracy_m)
    values = _row(cmd, placement, datetime.now(UTC), body_hash)
    written: list[str] = []
    try:
        photos = _store_photos(media_dir, cmd.id, clean, written)
        event = _event(values, cmd.attach_to)
        result = retry_on_disconnect(lambda: _write(engine, values, photos, event))
    except BaseException:
        media.remove_files(media_dir, written)
        raise
    if result.case_no is None:
        media.remove_files(media_dir, written)
        if result.stored_hash is None:
            raise UnknownCategory(cmd.category_code)
        return _replay(cmd.id, result.stored_hash, body_hash)
    values["case_no"] = result.case_no
    return Captured(cmd.id, created=True, report=_written_report(values, result, photos))


def report_of(cmd: CaptureReport, placement: Any, received_at: datetime) -> report_writes.NewReport:
    """The report row and `ReportCaptured` event `capture_report` writes for `cmd` (no
    photos) as if it had been received at `received_at`: for a writer of many past reports
    at once (the demo's history, `report_writes.write_reports`)."""
    values = _row(cmd, placement, received_at, cmd.body_hash())
    return report_writes.NewReport(values, [], _event(values, cmd.attach_to, received_at))


def _write(engine: Engine, values: dict, photos: list[dict], event: dict) -> report_writes.Written:
    try:
        return writer_for(engine).write(report_writes.NewReport(values, photos, event))
    except IntegrityError as exc:
        if getattr(exc.orig.diag, "constraint_name", None) != report_writes.REPORT_PKEY:
            raise
    # Lost the race to a writer of the same id, whose row is committed now.
    with engine.connect() as conn:
        return report_writes.Written(None, report_writes.find_report_hash(conn, values["id"]), None)


def _replay(report_id: uuid.UUID, stored_hash: str | None, body_hash: str) -> Captured:
    if stored_hash != body_hash:
        raise CaptureConflict(f"report {report_id} exists with a different body")
    return Captured(report_id, created=False)


def _store_photos(media_dir, report_id, clean, written: list[str]) -> list[dict]:
    rows = []
    positions = {"before": 0, "after": 0}
    for upload, photo in clean:
        photo_id = uuid.uuid4()
        path, thumb = media.store_photo(media_dir, report_id, photo_id, photo)
        written += [path, thumb]
        rows.append(_photo_row(report_id, photo_id, upload, photo, path, thumb,
                               positions[upload.kind]))  # fmt: skip
        positions[upload.kind] += 1
    return rows


def _event(
    values: dict, attach_to: uuid.UUID | None = None, occurred_at: datetime | None = None
) -> dict[str, Any]:
    # The payload's case_no and priority are filled in by the statement that writes the report.
    body = _payload(values, priority=None)
    if attach_to is not None:
        body["attach_to"] = str(attach_to)
    event = envelope("ReportCaptured", body, occurred_at=occurred_at)
    return {
        "event_id": event["event_id"],
        "topic": REPORTS,
        "key": _key(values),
        "event_type": "ReportCaptured",
        "envelope": event,
    }


def _written_report(
    values: dict, result: report_writes.Written, photos: list[dict]
) -> dict[str, Any]:
    """The report as `services.store.report_rows.get_report` would read it back right now."""
    return {
        **values,
        **(result.category or {}),
        "occurred_at": _utc(values["occurred_at"]),
        "status": "reported",
        "case_id": None,
        "photos": [{k: p[k] for k in ("id", "kind", "media_type", "width", "height")}
                   for p in sorted(photos, key=lambda p: (p["kind"] != "before", p["position"]))],
    }  # fmt: skip


def _utc(moment: datetime) -> datetime:
    # As PostgreSQL gives a timestamptz back on gridflow's connections (timezone=UTC).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


def _payload(values: dict, priority: str | None) -> dict[str, Any]:
    """Everything the router needs to register the case without reading the report row."""
    return {
        "report_id": str(values["id"]),
        "case_no": values["case_no"],
        "channel": values["channel"],
        "category_code": values["category_code"],
        "priority": priority,
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
