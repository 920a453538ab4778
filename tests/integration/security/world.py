"""A small world for the authorization matrix: one account per role and scope, and objects
(reports, cases in each state, tasks, photos) made fresh in street A on demand.

Scopes: street A (330211009) is "own", street B (330211007) is "other" (a leader of
community 330211007001 in it). The department that
the demo rules give category 201001 (sanitation) is "own", greening is "other".
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import text

from tests.integration.services.handling.loop import CaseMaker, captured_event, cell_point

STREET_A, STREET_B = "330211009", "330211007"
COMMUNITY_B = STREET_B + "001"
CATEGORY, DEPARTMENT, OTHER_DEPARTMENT = "201001", "sanitation", "greening"

# Who calls: name → (role, scope). Grid workers get their cells from the object at hand
# ("gw_own" is the reporter, bound to the object's cell).
PRINCIPALS = {
    "admin": ("admin", {}),
    "op_street": ("operator", {"jurisdiction": STREET_A}),
    "op_district": ("operator", {"jurisdiction": "330211"}),
    "op_other": ("operator", {"jurisdiction": STREET_B}),
    "leader_street": ("leader", {"jurisdiction": STREET_A}),
    "leader_other": ("leader", {"jurisdiction": COMMUNITY_B}),
    "staff_own": ("department_staff", {"department": DEPARTMENT}),
    "staff_other": ("department_staff", {"department": OTHER_DEPARTMENT}),
    "gw_own": ("grid_worker", {}),
    "gw_other": ("grid_worker", {}),
}


def jpeg(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Thing:
    """An object of street A: its ids, and the headers of the worker who reported it."""

    report_id: str
    cell: str
    reporter: dict[str, str]
    case_id: str | None = None
    case_no: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class World:
    def __init__(self, api, engine, login) -> None:
        self.api, self.engine, self.login = api, engine, login
        self.cases = CaseMaker(api, engine, login)
        self.headers = {
            name: login(role, **scope)[1]
            for name, (role, scope) in PRINCIPALS.items()
            if not name.startswith("gw_")
        }
        self.headers["gw_other"] = login("grid_worker", cells=(self.cases.fresh_cell(STREET_B),))[1]
        self.headers["gw_own"] = login("grid_worker", cells=(self.cases.fresh_cell(STREET_A),))[1]

    def as_(self, who: str, thing: Thing | None) -> dict[str, str]:
        """The headers of `who`; "gw_own" is the reporter of `thing` (bound to its cell)."""
        if who == "gw_own" and thing is not None and thing.reporter:
            return thing.reporter
        return self.headers[who]

    # --- objects ---------------------------------------------------------------------------

    def report(self, *, routed: bool = True, spot: bool = False) -> Thing:
        """A report in a fresh cell of street A (with a photo), routed to a case unless told
        not to; `spot`: fixed on the spot (its case is closed at once)."""
        cell = self.cases.fresh_cell(STREET_A)
        _, reporter = self.cases.worker(cell)
        lat, lng = cell_point(self.engine, cell)
        body = {
            "id": str(uuid.uuid4()),
            "category": CATEGORY,
            "description": "巡查发现",
            "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "handled_on_spot": spot,
        }
        data = {"report": json.dumps(body), "photos": (io.BytesIO(jpeg()), "a.jpg", "image/jpeg")}
        if spot:
            data["after_photo"] = (io.BytesIO(jpeg("green")), "b.jpg", "image/jpeg")
        resp = self.api.post("/api/v1/reports", data=data, headers=reporter,
                             content_type="multipart/form-data")  # fmt: skip
        assert resp.status_code == 201, resp.get_json()
        report = resp.get_json()
        thing = Thing(report["id"], cell, reporter, extra={"photo_id": report["photos"][0]["id"]})
        if routed:
            self.cases.route(captured_event(self.engine, report["id"]))
            with self.engine.connect() as conn:
                row = conn.execute(
                    text("SELECT id, case_no FROM case_file WHERE report_id = :r"),
                    {"r": report["id"]},
                ).one()
            thing.case_id, thing.case_no = str(row.id), row.case_no
        return thing

    def waiting(self) -> Thing:
        """A report the router could not place: its case waits in state `reported`."""
        from services.cases.operator import waiting_case
        from services.cases.uow import UnitOfWork

        thing = self.report(routed=False)
        with UnitOfWork(self.engine) as uow:
            case = waiting_case(uow, thing.report_id)
            uow.commit()
        thing.case_id, thing.case_no = str(case.id), case.case_no
        return thing

    def _department(self, thing: Thing, action: str, **body) -> None:
        resp = self.api.post(f"/api/v1/department/cases/{thing.case_id}/{action}", json=body,
                             headers=self.headers["staff_own"])  # fmt: skip
        assert resp.status_code == 200, (action, resp.get_json())

    def acknowledged(self) -> Thing:
        thing = self.report()
        self._department(thing, "acknowledge")
        return thing

    def with_extension_request(self) -> Thing:
        thing = self.acknowledged()
        due = (datetime.now(UTC) + timedelta(days=5)).isoformat()
        self._department(thing, "extension", requested_due=due, reason="需要采购配件")
        return thing

    def resolved(self) -> Thing:
        thing = self.acknowledged()
        resp = self.api.post(
            f"/api/v1/department/cases/{thing.case_id}/resolve",
            data={"note": "已清理", "photo": (io.BytesIO(jpeg("blue")), "c.jpg", "image/jpeg")},
            headers=self.headers["staff_own"], content_type="multipart/form-data",
        )  # fmt: skip
        assert resp.status_code == 200, resp.get_json()
        detail = self.api.get(f"/api/v1/operator/cases/{thing.case_id}",
                              headers=self.headers["admin"]).get_json()  # fmt: skip
        thing.extra["case_photo_id"] = next(
            p["id"] for p in detail["photos"] if p["kind"] == "resolution"
        )
        tasks = self.api.get("/api/v1/me/tasks", headers=thing.reporter).get_json()["items"]
        thing.extra["task_id"] = str(next(t["id"] for t in tasks if t["case_no"] == thing.case_no))
        return thing

    def dissatisfied(self) -> Thing:
        """A case resolved, verified and closed, that its reporter rated 不满意: its revisit
        (回访) is open."""
        thing = self.resolved()
        verify = self.api.post(f"/api/v1/me/tasks/{thing.extra['task_id']}/verify",
                               json={"passed": True}, headers=thing.reporter)  # fmt: skip
        assert verify.status_code == 200, verify.get_json()
        rated = self.api.post(f"/api/v1/cases/{thing.case_id}/rating",
                              json={"rating": "dissatisfied"}, headers=thing.reporter)  # fmt: skip
        assert rated.status_code == 200, rated.get_json()
        return thing

    def closed(self) -> Thing:
        return self.report(spot=True)

    def patrolled(self) -> Thing:
        """A grid worker of a fresh cell of street A who walked across it a minute ago, folded
        as `gridflow patrol` folds it; `extra` holds the worker's id."""
        from zoneinfo import ZoneInfo

        from services.config import Config
        from services.patrol.aggregate import Aggregator, points_of

        cell = self.cases.fresh_cell(STREET_A)
        worker_id, headers = self.cases.worker(cell)
        lat, lng = cell_point(self.engine, cell)
        now = datetime.now(UTC)
        pings = [{"t": (now - timedelta(seconds=60 - 10 * i)).isoformat(), "lat": lat,
                  "lng": lng + 0.0001 * i, "accuracy_m": 5.0} for i in range(4)]  # fmt: skip
        config = Config()
        rows = points_of({"worker_id": worker_id, "pings": pings}, ZoneInfo(config.timezone))
        Aggregator(self.engine, config).apply(rows)
        return Thing("", cell, headers, extra={"worker_id": str(worker_id)})

    def rule(self) -> Thing:
        """A routing rule of its own (in a fresh cell of street A), to be removed."""
        thing = Thing("", self.cases.fresh_cell(STREET_A), {})
        resp = self.api.post(
            "/api/v1/admin/rules",
            json={"category_code": "104003", "jurisdiction_code": thing.cell,
                  "department_code": OTHER_DEPARTMENT},
            headers=self.headers["admin"],
        )  # fmt: skip
        assert resp.status_code == 201, resp.get_json()
        rules = self.api.get("/api/v1/admin/rules", headers=self.headers["admin"]).get_json()
        thing.extra["rule_id"] = str(
            next(r["id"] for r in rules["items"] if r["jurisdiction_code"] == thing.cell)
        )
        return thing


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL rule) of every route of `app`, HEAD and OPTIONS left out."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)
