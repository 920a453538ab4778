"""Helpers of the handling tests: file a report through the API and let the router's own
processing function (`streams.router.make_router`) turn its ReportCaptured event into a case,
exactly as `gridflow router` does with the event from Kafka."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import text

from services.calendars import calendars_from_config
from services.config import Config
from streams.consumed import Event
from streams.router import make_router


def jpeg(color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def cell_point(engine, code: str) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(c.geom)) "
                    "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                    "AND v.valid_to IS NULL WHERE c.code = :code"
                ),
                {"code": code},
            ).one()
        )


def captured_event(engine, report_id: str) -> Event:
    """The ReportCaptured event of a report, read from the outbox as Kafka would carry it."""
    with engine.connect() as conn:
        envelope = conn.execute(
            text(
                "SELECT envelope FROM outbox WHERE event_type = 'ReportCaptured' "
                "AND envelope->'payload'->>'report_id' = :r"
            ),
            {"r": report_id},
        ).scalar_one()
    return Event(
        event_id=uuid.UUID(envelope["event_id"]),
        type=envelope["type"],
        occurred_at=datetime.fromisoformat(envelope["occurred_at"]),
        schema_version=envelope["schema_version"],
        payload=envelope["payload"],
        topic="reports",
        partition=0,
        offset=0,
        key=envelope["payload"].get("cell_code"),
    )


class CaseMaker:
    """Files reports as a grid worker of the cell and routes them like the router."""

    def __init__(self, api, engine, login, clock=None) -> None:
        self.api, self.engine, self.login = api, engine, login
        self._workers: dict[str, tuple[int, dict]] = {}
        calendars = calendars_from_config(Config())
        self.route = make_router(engine, calendars, clock) if clock else make_router(
            engine, calendars)  # fmt: skip
        self._cells: dict[str, list[str]] = {}

    def fresh_cell(self, street: str = "330211009") -> str:
        """A cell of `street` no case of this run was filed in yet (so no report is merged
        into another test's case as a duplicate)."""
        if not self._cells.get(street):
            with self.engine.connect() as conn:
                self._cells[street] = list(conn.execute(
                    text(
                        "SELECT c.code FROM grid_cell c JOIN grid_version v ON v.id = "
                        "c.version_id AND v.valid_to IS NULL WHERE c.code LIKE :s || '%' "
                        "AND NOT EXISTS (SELECT 1 FROM case_file k WHERE k.cell_code = c.code) "
                        "ORDER BY c.code DESC"
                    ),
                    {"s": street},
                ).scalars())  # fmt: skip
        return self._cells[street].pop()

    def worker(self, cell: str) -> tuple[int, dict]:
        if cell not in self._workers:
            self._workers[cell] = self.login("grid_worker", cells=(cell,))
        return self._workers[cell]

    def report(self, cell: str, category: str, **changes) -> dict:
        _, headers = self.worker(cell)
        lat, lng = cell_point(self.engine, cell)
        body = {
            "id": str(uuid.uuid4()),
            "category": category,
            "description": "巡查发现",
            "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            **changes,
        }
        resp = self.api.post("/api/v1/reports", json=body, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def case(self, category: str, cell: str | None = None, *, routed: bool = True) -> dict:
        """A report of `category` in `cell` (default: a fresh cell) and its case (routed
        unless told otherwise): the case_file row as a mapping, with the report."""
        report = self.report(cell or self.fresh_cell(), category)
        if routed:
            self.route(captured_event(self.engine, report["id"]))
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT * FROM case_file WHERE report_id = :r"), {"r": report["id"]}
            ).mappings().first()  # fmt: skip
        return {"report": report, **(dict(row) if row else {})}

    def events(self, case_id) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT type, actor, at, payload FROM case_event WHERE case_id = :c "
                     "ORDER BY id"), {"c": case_id},
            ).mappings()  # fmt: skip
            return [dict(r) for r in rows]


def photo_part(color: str = "red"):
    return (io.BytesIO(jpeg(color)), "site.jpg", "image/jpeg")


def resolve_through_api(api, staff: dict, case_id, note: str = "处置完毕") -> dict:
    """Acknowledges and resolves a dispatched case as its department; returns the case."""
    base = f"/api/v1/department/cases/{case_id}"
    assert api.post(f"{base}/acknowledge", headers=staff).status_code == 200
    resp = api.post(f"{base}/resolve", headers=staff, content_type="multipart/form-data",
                    data={"note": note, "photo": photo_part("green")})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def task_of(api, worker: dict, case_no: str) -> dict | None:
    """The worker's open verification task of a case, or None."""
    items = api.get("/api/v1/me/tasks", headers=worker).get_json()["items"]
    return next((t for t in items if t["case_no"] == case_no), None)


def verify_through_api(api, worker: dict, task_id, passed: bool, note: str = "", photo=True):
    """Answers a verification task the way the phone does (multipart)."""
    import json

    data = {"verification": json.dumps({"passed": passed, "note": note})}
    if photo:
        data["photo"] = photo_part("gray")
    return api.post(f"/api/v1/me/tasks/{task_id}/verify", headers=worker,
                    content_type="multipart/form-data", data=data)  # fmt: skip
