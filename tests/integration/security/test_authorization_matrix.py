"""The authorization matrix, generated from the application's route table: every endpoint ×
every role × own/other jurisdiction (street), department and cell.

Each route must have an entry in MATRIX (a new route without one fails the test). The allowed
callers get the success status on an object made for them in the right state; every other
caller gets 403 or 404 — and exactly the answer a missing object gets, so a refusal never tells
whether the object exists — and the object is left unchanged. Anonymous callers get 401.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.security.admin_surface import (
    account,
    grid_file,
    is_account,
    new_account,
    roster,
    same_catalog,
    same_terms,
    small_grid,
    user_id,
)
from tests.integration.security.surfaces import OPEN311, TRACKING
from tests.integration.security.world import (
    OTHER_DEPARTMENT,
    PRINCIPALS,
    STREET_A,
    Thing,
    World,
    jpeg,
)
from tests.integration.security.world import routes as _routes
from tests.integration.services.accounts import PASSWORD, bearer, login, make_user

ALL = frozenset(PRINCIPALS)
ADMIN = frozenset({"admin"})
GRID = frozenset({"gw_own", "gw_other"})
STAFF = frozenset({"staff_own", "staff_other"})
OPERATORS = frozenset({"admin", "op_street", "op_district", "op_other"})
OWN_PLACE = frozenset({"admin", "op_street", "op_district"})
LEADERS = frozenset({"leader_street", "leader_other"})
SEES_CASE = OWN_PLACE | {"staff_own", "gw_own", "leader_street"}
TODAY = date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATS = {"from": (TODAY - timedelta(days=30)).isoformat(), "to": TODAY.isoformat()}


@dataclass(frozen=True)
class Rule:
    """Who may call an endpoint, on what object, with what body, and what success is."""

    allowed: frozenset[str]
    make: Callable[[World], Thing] | None = None
    body: Callable[[World, Thing | None, str], dict] | None = None
    multipart: bool = False
    query: dict = field(default_factory=dict)
    ok: int = 200
    params: Callable[[Thing], dict] | None = None
    # What an allowed caller's answer must hold besides its status (None: the status alone).
    check: Callable[[World, Thing | None, object], bool] | None = None


def _later(days: int = 5) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _report_body(world: World, thing: Thing | None, who: str) -> dict:
    from tests.integration.services.handling.loop import cell_point

    cell = next(iter(world.cases._cells.get(STREET_A) or [])) if who == "gw_own" else None
    lat, lng = cell_point(world.engine, cell or world.cases.fresh_cell(STREET_A))
    return {
        "id": str(uuid.uuid4()),
        "category": "201001",
        "description": "巡查发现",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }


def _pings(world: World, thing: Thing | None, who: str) -> dict:
    ping = {"t": datetime.now(UTC).isoformat(), "lat": 29.95, "lng": 121.71, "crs": "wgs84"}
    return {"batch_id": str(uuid.uuid4()), "pings": [ping]}


PRESS = {"note": "请尽快处置"}


def _eligible(world: World, thing: Thing | None, resp) -> bool:
    """The departments listed include the one a re-dispatch may name; one holds the case."""
    items = resp.get_json()["items"]
    codes = [i["code"] for i in items]
    return OTHER_DEPARTMENT in codes and [i["current"] for i in items].count(True) == 1


def _call_body(world: World, thing: Thing | None, who: str) -> dict:
    """A hotline call in street A attached to the thing's open case."""
    body = _report_body(world, thing, who)
    del body["occurred_at"]
    return {**body, "caller_phone": "13800000000", "attach_to": thing.case_id}


def _attached(world: World, thing: Thing | None, resp) -> bool:
    """The answer is the new hotline report, a report of its own (the case comes later)."""
    report = resp.get_json()
    return report["channel"] == "hotline" and report["id"] != thing.report_id


def _pressed(event: str) -> Callable[[World, Thing | None, object], bool]:
    """The answer is the case, still with its department, and its history ends with the
    supervision or urging (`event`) and its note."""

    def check(world: World, thing: Thing | None, resp) -> bool:
        case = resp.get_json()
        detail = world.api.get(
            f"/api/v1/operator/cases/{thing.case_id}", headers=world.headers["admin"]
        ).get_json()
        last = detail["timeline"][-1]
        return (case["id"], case["state"]) == (thing.case_id, "dispatched") and (
            last["type"], last["payload"]["note"]) == (event, "请尽快处置")  # fmt: skip

    return check


def _reworked(world: World, thing: Thing | None, resp) -> bool:
    """The answer is the case, back with its department; the revisit is closed."""
    case = resp.get_json()
    queue = world.api.get("/api/v1/operator/revisits", headers=world.headers["admin"]).get_json()
    return (case["id"], case["state"], case["rework_count"]) == (
        thing.case_id, "dispatched", 1) and thing.case_id not in {
        t["case_id"] for t in queue["items"]}  # fmt: skip


def _notice(world: World) -> Thing:
    """Street A's weekly notice of this week."""
    from services.stats.notices import build_notice
    from services.stats.ranking import load_schemes, period_of
    from services.store.notices import save_notice

    week = period_of("week", TODAY)
    body = build_notice(world.engine, "weekly", STREET_A, week, load_schemes("").get(None),
                        now=datetime.now(UTC))  # fmt: skip
    with world.engine.begin() as conn:
        notice_id = save_notice(conn, "weekly", STREET_A, week.first, week.last, body)
    return Thing("", "", {}, extra={"notice_id": notice_id})


def _merge(world: World) -> Thing:
    original = world.report()
    waiting = world.waiting()
    waiting.extra["duplicate_of"] = original.case_no
    return waiting


def _merged(world: World) -> Thing:
    """A waiting report merged (by the admin) into an open case a moment ago."""
    thing = _merge(world)
    resp = world.api.post(f"/api/v1/operator/cases/{thing.case_id}/merge", headers=world.headers[
        "admin"], json={"duplicate_of": thing.extra["duplicate_of"]})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    return thing


def _unmerged(world: World, thing: Thing | None, resp) -> bool:
    """The answer is the case, its own again and waiting for registration."""
    case = resp.get_json()
    return (case["id"], case["state"], case["merged_into"]) == (thing.case_id, "reported", None)


def _department_body(world: World, thing: Thing | None, who: str) -> dict:
    rows = world.api.get("/api/v1/admin/departments", headers=world.headers["admin"]).get_json()
    greening = next(d for d in rows["items"] if d["code"] == OTHER_DEPARTMENT)
    keys = ("name_zh", "name_en", "kind", "jurisdiction_code", "admitted_categories", "active")
    return {k: greening[k] for k in keys}


def _ruleset_body(world: World, thing: Thing | None, who: str) -> dict:
    rules = world.api.get("/api/v1/admin/rules", headers=world.headers["admin"]).get_json()
    keys = ("category_code", "jurisdiction_code", "department_code", "priority")
    return {"rules": [{k: r[k] for k in keys} for r in rules["items"]], "note": "unchanged"}


def _rule_body(world: World, thing: Thing | None, who: str) -> dict:
    cell = world.cases.fresh_cell(STREET_A)
    return {"category_code": "104003", "jurisdiction_code": cell,
            "department_code": OTHER_DEPARTMENT}  # fmt: skip


def _verify_body(world: World, thing: Thing | None, who: str) -> dict:
    return {
        "verification": json.dumps({"passed": True, "note": "现场核查通过"}),
        "photo": (io.BytesIO(jpeg("gray")), "v.jpg", "image/jpeg"),
    }


def _const(body: dict) -> Callable[[World, Thing | None, str], dict]:
    return lambda world, thing, who: dict(body)


def _version(thing: Thing) -> dict:
    return {"version": 1}


def _far_day() -> str:
    # A day of a far year, so the time limits of the run's other tests stay as they are.
    return (date(2099, 1, 1) + timedelta(days=uuid.uuid4().int % 365)).isoformat()


def _calendar_days(world: World, thing: Thing | None, who: str) -> dict:
    return {"days": [{"day": _far_day(), "working": False, "note": "矩阵测试"}]}


def _calendar_day(world: World) -> Thing:
    day = _far_day()
    resp = world.api.put(
        "/api/v1/admin/calendar/days",
        json={"days": [{"day": day, "working": True}]},
        headers=world.headers["admin"],
    )
    assert resp.status_code == 200, resp.get_json()
    return Thing(report_id="", cell="", reporter={}, extra={"day": day})


MATRIX: dict[tuple[str, str], Rule] = {
    # Everyone signed in.
    ("auth.me", "GET"): Rule(ALL),
    # Each caller's own password (the world's accounts keep their open sessions).
    ("auth.change_password", "POST"): Rule(
        ALL, body=_const({"old_password": PASSWORD, "new_password": "a-new-passphrase"}), ok=204
    ),
    ("reports.categories", "GET"): Rule(ALL),
    # Grid workers.
    ("mobile.my_reports", "GET"): Rule(GRID),
    ("mobile.my_tasks", "GET"): Rule(GRID),
    ("mobile.file_report", "POST"): Rule(GRID, body=_report_body, ok=201),
    ("mobile.patrol_pings", "POST"): Rule(GRID, body=_pings, ok=202),
    ("verification.verify", "POST"): Rule(
        frozenset({"gw_own"}), make=World.resolved, body=_verify_body, multipart=True
    ),
    # Who sees a report or a case: its place, its department, its reporter.
    ("reports.report", "GET"): Rule(SEES_CASE, make=World.report),
    ("reports.photo", "GET"): Rule(SEES_CASE, make=World.report),
    ("verification.case_photo", "GET"): Rule(
        SEES_CASE,
        make=World.resolved,
        params=lambda t: {"case_id": t.case_id, "photo_id": t.extra["case_photo_id"]},
    ),  # fmt: skip
    ("verification.rating", "POST"): Rule(
        OWN_PLACE | {"gw_own"}, make=World.closed, body=_const({"rating": "satisfied"})
    ),
    # Department staff: the cases their department holds.
    ("department.cases", "GET"): Rule(STAFF),
    ("department.case", "GET"): Rule(frozenset({"staff_own"}), make=World.report),
    ("department.acknowledge", "POST"): Rule(
        frozenset({"staff_own"}), make=World.report, body=_const({})
    ),
    ("department.return_", "POST"): Rule(
        frozenset({"staff_own"}), make=World.report, body=_const({"reason": "不属于本部门职责"})
    ),
    ("department.resolve", "POST"): Rule(
        frozenset({"staff_own"}), make=World.acknowledged, body=_const({"note": "已处理"})
    ),
    ("department.extension", "POST"): Rule(
        frozenset({"staff_own"}),
        make=World.acknowledged,
        body=lambda w, t, who: {"requested_due": _later(), "reason": "需要采购配件"},
    ),  # fmt: skip
    # Operators: their district or street.
    ("operator.cases", "GET"): Rule(OPERATORS),
    ("operator.case", "GET"): Rule(OWN_PLACE, make=World.report),
    ("operator.register", "POST"): Rule(
        OWN_PLACE, make=lambda w: w.report(routed=False), body=_const({})
    ),
    ("operator.reject", "POST"): Rule(
        OWN_PLACE, make=lambda w: w.report(routed=False), body=_const({"reason": "非城管问题"})
    ),
    ("operator.moderate", "POST"): Rule(
        OWN_PLACE, make=World.report, body=_const({"hidden": True, "reason": "含个人信息"})
    ),
    ("operator.dispatch", "POST"): Rule(
        OWN_PLACE, make=World.report, body=_const({"department_code": OTHER_DEPARTMENT})
    ),
    ("operator.departments", "GET"): Rule(OWN_PLACE, make=World.report, check=_eligible),
    ("operator.merge", "POST"): Rule(
        OWN_PLACE, make=_merge, body=lambda w, t, who: {"duplicate_of": t.extra["duplicate_of"]}
    ),
    ("operator.unmerge", "POST"): Rule(
        OWN_PLACE, make=_merged, body=_const({"reason": "不是同一处"}), check=_unmerged
    ),
    ("operator.approve_extension", "POST"): Rule(
        OWN_PLACE, make=World.with_extension_request, body=_const({})
    ),
    ("operator.reject_extension", "POST"): Rule(
        OWN_PLACE, make=World.with_extension_request, body=_const({"reason": "理由不充分"})
    ),
    # Pressing a department by hand (督办, 催办), in the operator's place.
    ("supervision.supervise", "POST"): Rule(
        OWN_PLACE, make=World.report, body=_const(PRESS), check=_pressed("CaseSupervised")
    ),
    ("supervision.urge", "POST"): Rule(
        OWN_PLACE, make=World.report, body=_const(PRESS), check=_pressed("CaseUrged")
    ),
    # Case search and its export: operators (the search keeps to their place: a phone or a
    # number finds nothing outside it, test_case_search).
    ("case_search.search", "GET"): Rule(
        OPERATORS,
        query={"state": "dispatched", "limit": 5},
        check=lambda w, t, r: set(r.get_json()) == {"items", "next"},
    ),
    ("case_search.export", "GET"): Rule(
        OPERATORS,
        query={"q": "招宝山"},
        check=lambda w, t, r: r.headers["Content-Type"] == XLSX and r.get_data()[:2] == b"PK",
    ),
    ("case_search.heat", "GET"): Rule(
        OPERATORS,
        query={"category": "201001", "from": "2024-01-01"},
        check=lambda w, t, r: set(r.get_json()) == {"points", "max"}
        and all(len(p) == 3 and p[2] >= 1 for p in r.get_json()["points"]),
    ),
    # Hotline intake: the open cases near a place (within the operator's place), a call filed
    # as a report in street A or attached to an open case there.
    ("hotline.nearby", "GET"): Rule(
        OPERATORS,
        query={"category": "201001", "lat": 29.95, "lng": 121.71},
        check=lambda w, t, r: "items" in r.get_json(),
    ),
    ("hotline.places", "GET"): Rule(
        OPERATORS, query={"q": "zh"}, check=lambda w, t, r: "items" in r.get_json()
    ),
    ("hotline.call", "POST"): Rule(
        OWN_PLACE, make=World.report, body=_call_body, ok=201, check=_attached
    ),
    # Revisits (回访): the queue and the call-back, in the operator's place.
    ("revisits.revisits", "GET"): Rule(OPERATORS, check=lambda w, t, r: "items" in r.get_json()),
    ("revisits.revisit", "POST"): Rule(
        OWN_PLACE,
        make=World.dissatisfied,
        body=_const({"outcome": "rework", "note": "回访：返工"}),
        check=_reworked,
    ),
    # Notifications to reporters (the notifier's dead letters): admins only.
    ("notifications.notifications", "GET"): Rule(
        ADMIN, query={"status": "dead"}, check=lambda w, t, r: "items" in r.get_json()
    ),
    # A grid worker's own notifications in the phone app (the milestones of their reports).
    ("my_notifications.my_notifications", "GET"): Rule(
        GRID, check=lambda w, t, r: set(r.get_json()) == {"items", "unread"}
    ),
    ("my_notifications.read_notifications", "POST"): Rule(
        GRID, body=_const({"up_to": 1}), check=lambda w, t, r: set(r.get_json()) == {
            "marked", "unread"}  # fmt: skip
    ),
    # Statistics: scoped inside the query; refused to grid workers.
    ("stats.departments", "GET"): Rule(OPERATORS | STAFF | LEADERS, query=STATS),
    ("stats.jurisdictions", "GET"): Rule(OPERATORS | STAFF | LEADERS, query=STATS),
    # Rankings for leaders: operators and leaders (each in their place) and admins.
    ("rankings.rankings", "GET"): Rule(
        OPERATORS | LEADERS,
        query={"level": "street"},
        check=lambda w, t, r: "items" in r.get_json() and "scheme" in r.get_json(),
    ),
    ("rankings.weekly_trend", "GET"): Rule(
        OPERATORS | LEADERS,
        query={"weeks": 2},
        check=lambda w, t, r: len(r.get_json()["weeks"]) == 2,
    ),
    # Ledgers: the communities of the caller's place (street A's first community here).
    ("ledgers.ledgers", "GET"): Rule(
        OPERATORS | LEADERS,
        query={"month": f"{TODAY:%Y-%m}"},
        check=lambda w, t, r: r.get_json()["month"] == f"{TODAY:%Y-%m}",
    ),
    ("ledgers.ledger_file", "GET"): Rule(
        OWN_PLACE | {"leader_street"},
        query={"month": f"{TODAY:%Y-%m}", "community": STREET_A + "001", "format": "csv"},
        check=lambda w, t, r: r.mimetype == "text/csv",
    ),
    # A street's ledger of the year, streamed: callers whose place holds street A.
    ("ledgers.year_ledger", "GET"): Rule(
        OWN_PLACE | {"leader_street"},
        query={"year": TODAY.year, "place": STREET_A},
        check=lambda w, t, r: r.mimetype == XLSX and r.data[:2] == b"PK",
    ),
    # Supervision notices: the places at or inside the caller's place.
    ("notices.notices", "GET"): Rule(
        OPERATORS | LEADERS, check=lambda w, t, r: "items" in r.get_json()
    ),
    ("notices.notice", "GET"): Rule(
        OWN_PLACE | {"leader_street"},
        make=_notice,
        params=lambda t: {"notice_id": t.extra["notice_id"]},
        check=lambda w, t, r: r.get_json()["body"]["code"] == STREET_A,
    ),
    ("notices.notice_file", "GET"): Rule(
        OWN_PLACE | {"leader_street"},
        make=_notice,
        query={"format": "xlsx"},
        params=lambda t: {"notice_id": t.extra["notice_id"]},
        check=lambda w, t, r: r.data[:2] == b"PK",
    ),
    # Admins.
    ("audit.audit_trail", "GET"): Rule(ADMIN),
    ("admin.audit", "GET"): Rule(ADMIN),
    ("admin.departments", "GET"): Rule(ADMIN),
    ("admin.put_department", "PUT"): Rule(
        ADMIN, body=_department_body, params=lambda t: {"code": OTHER_DEPARTMENT}
    ),
    ("admin.active_rules", "GET"): Rule(ADMIN),
    ("admin.add_rule", "POST"): Rule(ADMIN, body=_rule_body, ok=201),
    ("admin.replace_rules", "PUT"): Rule(ADMIN, body=_ruleset_body),
    ("admin.remove_rule", "DELETE"): Rule(
        ADMIN, make=World.rule, params=lambda t: {"rule_id": t.extra["rule_id"]}
    ),
    ("admin.rule_versions", "GET"): Rule(ADMIN),
    ("admin.rule_version", "GET"): Rule(ADMIN, params=_version),
    ("accounts.users", "GET"): Rule(
        ADMIN, check=lambda w, t, r: "admin" in r.get_json()["roles"] and r.get_json()["items"]
    ),
    ("accounts.create", "POST"): Rule(
        ADMIN, body=new_account, ok=201, check=lambda w, t, r: r.get_json()["must_change_password"]
    ),
    ("accounts.user", "GET"): Rule(ADMIN, make=account, params=user_id, check=is_account()),
    ("accounts.edit", "PUT"): Rule(
        ADMIN,
        make=account,
        params=user_id,
        check=is_account(role="operator"),
        body=_const({"role": "operator", "jurisdiction_code": STREET_A}),
    ),  # fmt: skip
    ("accounts.disable", "POST"): Rule(
        ADMIN, make=account, params=user_id, check=is_account(active=False)
    ),
    ("accounts.enable", "POST"): Rule(
        ADMIN, make=account, params=user_id, check=is_account(active=True)
    ),
    ("accounts.reset", "POST"): Rule(
        ADMIN,
        make=account,
        params=user_id,
        check=lambda w, t, r: r.get_json()["username"] == t.extra["username"],
    ),  # fmt: skip
    ("accounts.import_sheet", "POST"): Rule(
        ADMIN,
        body=roster,
        multipart=True,
        check=lambda w, t, r: (r.get_json()["rows"], r.get_json()["errors"]) == (1, []),
    ),  # fmt: skip
    ("admin_routing.open_cases", "GET"): Rule(
        ADMIN, check=lambda w, t, r: isinstance(r.get_json()["counts"], dict)
    ),
    ("admin_routing.preview", "GET"): Rule(
        ADMIN,
        query={"category": "201001", "lat": 29.96, "lng": 121.71},
        check=lambda w, t, r: r.get_json()["category"] == "201001" and r.get_json()["reason"],
    ),  # fmt: skip
    ("admin_catalog.categories", "GET"): Rule(
        ADMIN, check=lambda w, t, r: len(r.get_json()["items"]) > 50
    ),
    ("admin_catalog.put_terms", "PUT"): Rule(
        ADMIN,
        body=same_terms,
        params=lambda t: {"code": "102007"},
        check=lambda w, t, r: r.get_json()["code"] == "102007",
    ),  # fmt: skip
    ("admin_catalog.put_questions", "PUT"): Rule(
        ADMIN,
        body=_const({"questions": [{"code": "note", "text_zh": "补充说明", "kind": "text"}]}),
        params=lambda t: {"code": "102007"},
        check=lambda w, t, r: [q["code"] for q in r.get_json()["questions"]] == ["note"],
    ),  # fmt: skip
    ("admin_catalog.export", "GET"): Rule(
        ADMIN, check=lambda w, t, r: r.get_data(as_text=True).count("zh:") > 50
    ),
    ("admin_catalog.import_file", "POST"): Rule(
        ADMIN,
        body=same_catalog,
        multipart=True,
        check=lambda w, t, r: r.get_json()["categories"] > 50,
    ),  # fmt: skip
    ("admin_grid.versions", "GET"): Rule(
        ADMIN, check=lambda w, t, r: any(v["current"] for v in r.get_json()["items"])
    ),
    ("admin_grid.export", "GET"): Rule(
        ADMIN,
        query={"district": "330211"},
        check=lambda w, t, r: len(r.get_json()["features"]) > 1000,
    ),  # fmt: skip
    ("admin_grid.import_file", "POST"): Rule(
        ADMIN,
        body=grid_file,
        multipart=True,
        check=lambda w, t, r: r.get_json()["report"]["ok"] and not r.get_json()["committed"],
    ),  # fmt: skip
    ("admin_grid_edit.split", "POST"): Rule(
        ADMIN,
        make=small_grid,
        body=lambda w, t, who: {"cell_code": t.cell, "line": t.extra["line"]},
        check=lambda w, t, r: r.get_json()["report"]["ok"] and len(r.get_json()["cells"]) == 2,
    ),  # fmt: skip
    ("admin_grid_edit.merge", "POST"): Rule(
        ADMIN,
        make=small_grid,
        body=lambda w, t, who: {"cell_codes": [t.cell, t.cell[:-1] + "2"]},
        check=lambda w, t, r: r.get_json()["cells"] == [t.cell] and r.get_json()["report"]["ok"],
    ),  # fmt: skip
    ("admin_grid_edit.edge", "POST"): Rule(
        ADMIN,
        make=small_grid,
        body=lambda w, t, who: {"cell_codes": [t.cell, t.cell[:-1] + "2"],
                                "line": t.extra["edge"]},
        check=lambda w, t, r: r.get_json()["cells"] == [t.cell, t.cell[:-1] + "2"]
        and r.get_json()["report"]["ok"] and not r.get_json()["committed"],
    ),  # fmt: skip
    ("admin_grid_edit.renumber", "POST"): Rule(
        ADMIN,
        make=small_grid,
        body=lambda w, t, who: {"cell_code": t.cell, "new_code": t.cell[:-1] + "9"},
        check=lambda w, t, r: r.get_json()["cells"] == [t.cell[:-1] + "9"]
        and r.get_json()["report"]["ok"] and not r.get_json()["committed"],
    ),  # fmt: skip
    ("admin.calendar", "GET"): Rule(ADMIN),
    ("admin_calendar.year_view", "GET"): Rule(
        ADMIN,
        query={"year": 2025},
        check=lambda w, t, r: len(r.get_json()["days"]) == 365 and r.get_json()["official"],
    ),  # fmt: skip
    ("admin.put_calendar_days", "PUT"): Rule(ADMIN, body=_calendar_days),
    ("admin.delete_calendar_day", "DELETE"): Rule(
        ADMIN, make=_calendar_day, params=lambda t: {"day": t.extra["day"]}, ok=204
    ),
    # Patrol: grid workers their own, operators their place's (who sees whom: below).
    ("patrol.tracks", "GET"): Rule(
        GRID | OPERATORS, make=World.patrolled,
        check=lambda w, t, r: r.get_json()["type"] == "FeatureCollection",
    ),
    ("patrol.coverage", "GET"): Rule(
        GRID | OPERATORS, make=World.patrolled, check=lambda w, t, r: "items" in r.get_json()
    ),
    ("patrol.attendance", "GET"): Rule(
        GRID | OPERATORS, make=World.patrolled, query=STATS,
        check=lambda w, t, r: "items" in r.get_json(),
    ),
    ("patrol.attendance_sheet", "GET"): Rule(
        GRID | OPERATORS, query=STATS, check=lambda w, t, r: r.data[:2] == b"PK"
    ),
}  # fmt: skip

# Open to anyone (no token), by endpoint and method: sign-in, the public documents, the grid,
# pages and their assets, health, metrics (guarded by its own token when one is configured).
# Open311 has its own table (surfaces.OPEN311): reads are public, writes need an API key.
PUBLIC = {("auth.login", "POST"), ("auth.refresh", "POST")} | {
    (endpoint, "GET") for endpoint in (
        "openapi.openapi_json", "openapi.docs_page", "open311_openapi.open311_openapi_json",
        "grid.cells", "grid.cell", "grid.locate",
        "health.healthz", "health.livez", "health.readyz", "metrics", "pages.command_center",
        "pages.department_console", "pages.rankings_page", "pages.big_screen", "pages.admin_home",
        "pages.own_password", "pages.static",
        "pages.vendor", "static",
        "mobile_web.index", "mobile_web.manifest", "mobile_web.static",
        "mobile_web.service_worker", "mobile_web.vendor",
    )
}  # fmt: skip
SEPARATE = {"auth.logout": "revokes the caller's own session: test_tokens.py"}
_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _standard_params(thing: Thing | None) -> dict:
    if thing is None:
        return {}
    extra = thing.extra
    return {"case_id": thing.case_id, "report_id": thing.report_id,
            "photo_id": extra.get("photo_id"), "task_id": extra.get("task_id")}  # fmt: skip


def _ghost(kind: str | None) -> object:
    return 2**31 - 7 if kind == "int" else ("NO-SUCH" if kind is None else uuid.uuid4())


def _path(template: str, values: dict) -> str:
    return _PARAM.sub(lambda m: str(values[m.group(2)]), template)


def _ghost_values(template: str) -> dict:
    return {name: _ghost(kind or None) for kind, name in _PARAM.findall(template)}


def _call(world: World, method: str, path: str, rule: Rule, headers, thing, who):
    kwargs: dict = {"headers": headers, "query_string": rule.query}
    if rule.body is not None:
        body = rule.body(world, thing, who)
        if rule.multipart:
            kwargs.update(data=body, content_type="multipart/form-data")
        else:
            kwargs["json"] = body
    resp = world.api.open(path, method=method, **kwargs)
    resp.get_data()
    resp.close()  # a file answer holds its file open until closed
    return resp


def _shape(resp, ids: list[str]) -> tuple:
    """What a caller learns from a refusal: status, error code and message (ids blanked)."""
    error = (resp.get_json(silent=True) or {}).get("error", {})
    message = error.get("message", "")
    for value in ids:
        message = message.replace(str(value), "<id>")
    return resp.status_code, error.get("code"), error.get("field"), message


def _state(world: World, thing: Thing | None):
    if thing is None or thing.case_id is None:
        return None
    resp = world.api.get(f"/api/v1/operator/cases/{thing.case_id}", headers=world.headers["admin"])
    body = resp.get_json()
    keep = ("state", "department_code", "moderation", "extension", "rating", "resolve_due")
    return {**{k: body.get(k) for k in keep}, "events": len(body.get("timeline") or ())}


def test_every_route_has_an_authorization_rule(security_app):
    missing = [
        (endpoint, method, path)
        for endpoint, method, path in _routes(security_app)
        if (endpoint, method) not in MATRIX.keys() | PUBLIC | OPEN311.keys() | TRACKING.keys()
        and endpoint not in SEPARATE
    ]  # fmt: skip
    assert missing == [], "routes without an entry in the authorization matrix"


def test_public_routes_need_no_token(security_app, world):
    for endpoint, method, template in _routes(security_app):
        if (endpoint, method) not in PUBLIC or method != "GET" or "<" in template:
            continue
        resp = world.api.get(template)
        assert resp.status_code not in (401, 403), (endpoint, resp.status_code)


@pytest.mark.parametrize(("endpoint", "method"), sorted(MATRIX), ids=lambda v: str(v))
def test_matrix(security_app, world, endpoint, method):
    rule = MATRIX[(endpoint, method)]
    [template] = [p for e, m, p in _routes(security_app) if (e, m) == (endpoint, method)]
    params = rule.params or _standard_params

    # Anonymous: 401, whatever the object.
    shared = rule.make(world) if rule.make else None
    ghost_values = _ghost_values(template)
    ghost_path = _path(template, ghost_values)
    assert _call(world, method, ghost_path, rule, {}, shared, "anonymous").status_code == 401

    # Everyone else: refused as if the object did not exist, and the object unchanged.
    before = _state(world, shared)
    for who in sorted(ALL - rule.allowed):
        headers = world.as_(who, shared)
        values = params(shared) if "<" in template else {}
        resp = _call(world, method, _path(template, values), rule, headers, shared, who)
        ghost = _call(world, method, ghost_path, rule, headers, shared, who)
        ids = [v for v in values.values() if v is not None]
        assert resp.status_code in (403, 404), (who, resp.status_code, resp.get_json(silent=True))
        if "<" in template:
            expected = _shape(ghost, list(ghost_values.values()))
            assert _shape(resp, ids) == expected, (who, _shape(resp, ids), expected)
    assert _state(world, shared) == before, "a refused call changed the object"

    # The allowed: success, each on an object of its own.
    for who in sorted(rule.allowed):
        thing = rule.make(world) if rule.make else None
        values = params(thing) if "<" in template else {}
        resp = _call(
            world, method, _path(template, values), rule, world.as_(who, thing), thing, who
        )
        assert resp.status_code == rule.ok, (who, resp.status_code, resp.get_json(silent=True))
        assert rule.check is None or rule.check(world, thing, resp), (who, resp.get_json())


def test_a_one_time_password_opens_nothing_but_its_change(security_app, world):
    """An admin (whom every route admits) signed in with a one-time password: every route that
    takes a token refuses it with 403 `password_change_required`, but reading who it is,
    replacing the password and signing out (SEPARATE); its live socket is refused too."""
    from services.auth.administration import reset_password

    user_id, username = make_user(world.engine, "admin")
    with world.engine.begin() as conn:
        one_time = reset_password(conn, user_id)
    token = login(world.api, username, one_time)["access_token"]
    answers = {}
    for endpoint, method, template in _routes(security_app):
        if (endpoint, method) in MATRIX:
            path = _path(template, _ghost_values(template))
            resp = world.api.open(path, method=method, headers=bearer(token))
            answers[(endpoint, method)] = (resp.status_code, _shape(resp, [])[1])
    assert len(answers) == len(MATRIX)
    allowed = {
        ("auth.me", "GET"): (200, None),
        ("auth.change_password", "POST"): (400, "invalid_input"),
    }
    assert {e: a for e, a in answers.items() if a != (403, "password_change_required")} == allowed
    live = security_app.extensions["gridflow.live"]
    assert not live.socketio.test_client(security_app, auth={"token": token}).is_connected()


def _ids(resp, key: str = "id") -> set[str]:
    assert resp.status_code == 200, resp.get_json()
    return {str(item[key]) for item in resp.get_json()["items"]}


def test_lists_hold_only_what_the_caller_may_see(world):
    thing = world.report()
    api, h = world.api, world.headers
    listed = {
        who: thing.case_id
        in _ids(
            api.get("/api/v1/operator/cases?queue=all&per_page=200", headers=h[who])
        )  # fmt: skip
        for who in OPERATORS
    }
    assert listed == {"admin": True, "op_street": True, "op_district": True, "op_other": False}
    listed = {
        who: thing.case_id in _ids(api.get("/api/v1/department/cases?per_page=200", headers=h[who]))
        for who in STAFF
    }
    assert listed == {"staff_own": True, "staff_other": False}
    mine = _ids(api.get("/api/v1/me/reports?per_page=100", headers=thing.reporter))
    theirs = _ids(api.get("/api/v1/me/reports?per_page=100", headers=h["gw_other"]))
    assert thing.report_id in mine and thing.report_id not in theirs


def test_patrol_holds_only_what_the_caller_may_see(world):
    """A worker's track, attendance and cells: the worker, the operators of its street and
    district and the admin; never another street's operator or another worker."""
    thing = world.patrolled()
    worker, api = int(thing.extra["worker_id"]), world.api
    sees = {"admin", "op_street", "op_district", "gw_own"}
    for who in GRID | OPERATORS:
        headers = world.as_(who, thing)
        tracks = api.get("/api/v1/patrol/tracks", headers=headers).get_json()["features"]
        people = api.get("/api/v1/patrol/attendance", headers=headers, query_string=STATS)
        cells = api.get("/api/v1/patrol/coverage", headers=headers).get_json()["items"]
        one = api.get(f"/api/v1/patrol/tracks?worker={worker}", headers=headers)
        assert (worker in {f["properties"]["worker_id"] for f in tracks}) == (who in sees), who
        assert (worker in {i["worker_id"] for i in people.get_json()["items"]}) == (who in sees)
        covered = {i["code"]: i["share"] for i in cells}
        assert (covered.get(thing.cell, 0) > 0) == (who in sees), who
        assert one.status_code == (200 if who in sees else 404), who


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


@contextmanager
def _sockets_of_every_role(security_app, world, thing):
    """A signed-in socket of every role, about `thing`, with what came at connect drained;
    disconnected afterwards."""
    live = security_app.extensions["gridflow.live"]
    clients = {
        who: live.socketio.test_client(security_app, auth={"token": _token(world.as_(who, thing))})
        for who in ALL
    }
    try:
        assert all(c.is_connected() for c in clients.values())
        for client in clients.values():
            client.get_received()
        yield clients
    finally:
        for client in clients.values():
            if client.is_connected():
                client.disconnect()


def test_socket_rooms_and_case_details_follow_the_same_scopes(security_app, world):
    """Each role joins the rooms of its scope only: an event of street A reaches the admin,
    the operators of street A and of the district, the case's department and the cell's worker
    — nobody else; a case's details over the socket are refused like a missing case."""
    from services.live.rooms import Place, rooms_for_place

    thing = world.report()
    live = security_app.extensions["gridflow.live"]
    with _sockets_of_every_role(security_app, world, thing) as clients:
        place = Place(thing.cell, thing.cell[:9], thing.cell[:6], ("sanitation",))
        live.publish_batch("case_events", [({"id": -1, "case": {"id": thing.case_id}},
                                            rooms_for_place(place))])  # fmt: skip
        got = {
            who: any(m["name"] == "case_events" for m in c.get_received())
            for who, c in clients.items()
        }
        assert {who for who, yes in got.items() if yes} == SEES_CASE

        ghost = str(uuid.uuid4())
        for who, client in clients.items():
            answer = client.emit("case_detail", {"case_id": thing.case_id}, callback=True)
            missing = client.emit("case_detail", {"case_id": ghost}, callback=True)
            if who in SEES_CASE:
                assert answer.get("case", {}).get("id") == thing.case_id, who
            else:
                assert answer == missing == {"error": "not_found", "field": "case_id"}, who


def test_notifications_reach_only_the_worker_who_reported(security_app, world):
    """A milestone of a worker's report is listed to that worker alone, only that worker can
    mark it read, and its live push reaches that worker's socket alone."""
    from services.live.rooms import account_room
    from tests.integration.services.notify_queue import queue_app_notifications

    thing = world.report()
    [queued] = queue_app_notifications(world.engine, thing.case_id)
    reporter_id = world.api.get("/api/v1/auth/me", headers=thing.reporter).get_json()["user_id"]
    api = world.api
    mine = api.get("/api/v1/me/notifications", headers=thing.reporter).get_json()
    theirs = api.get("/api/v1/me/notifications", headers=world.headers["gw_other"]).get_json()
    assert [(n["id"], n["case_no"]) for n in mine["items"]] == [(queued, thing.case_no)]
    assert mine["unread"] == 1 and queued not in {n["id"] for n in theirs["items"]}
    other = api.post("/api/v1/me/notifications/read", json={"up_to": queued},
                     headers=world.headers["gw_other"])  # fmt: skip
    assert other.get_json()["marked"] == 0
    assert api.get("/api/v1/me/notifications", headers=thing.reporter).get_json()["unread"] == 1

    live = security_app.extensions["gridflow.live"]
    with _sockets_of_every_role(security_app, world, thing) as clients:
        live.publish("notification", {"id": queued, "account_id": reporter_id},
                     [account_room(reporter_id)])  # fmt: skip
        got = {who for who, c in clients.items()
               if any(m["name"] == "notification" for m in c.get_received())}  # fmt: skip
        assert got == {"gw_own"}
