"""The hand-worked ranking fixture of tests/unit/services/domain/test_ranking.py, written into
PostGIS as real cases (report, case row, events through the history's one writer, ratings)
in a district of its own: community A holds the nine cases of department `rk-a`, community B
one case of department `rk-b`, closed on time.

Grid workers filed seven of the reports (the other three came by the hotline): `rk-worker-1`
cases 1, 2, 8 (rejected) and 9 (handled on the spot), `rk-worker-2` cases 3, 4 and 10."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from services.envelopes import CASE_EVENTS, envelope
from services.store.cases.history import record_events
from tests.integration.services.store.tables import add_departments

DISTRICT = "990102"
STREET = DISTRICT + "001"
COMMUNITY_A, COMMUNITY_B = STREET + "001", STREET + "002"
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
H = timedelta(hours=1)
PAST, LATER = datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 4, 3, tzinfo=UTC)

# (state, department, community, resolve_due, events as (type, hours after T0), rating)
CASES = [
    ("closed", "rk-a", COMMUNITY_A, T0 + 4 * H,
     [("CaseDispatched", 0), ("CaseResolved", 1), ("CaseClosed", 2)], "satisfied"),
    ("closed", "rk-a", COMMUNITY_A, T0 + 2 * H,
     [("CaseDispatched", 0), ("CaseResolved", 1), ("CaseReworked", 2), ("CaseResolved", 3),
      ("CaseClosed", 4)], "basically_satisfied"),
    ("closed", "rk-a", COMMUNITY_A, T0 + 8 * H,
     [("CaseDispatched", 0), ("ExtensionApproved", 0.5), ("CaseResolved", 2),
      ("CaseClosed", 6)], "dissatisfied"),
    ("dispatched", "rk-a", COMMUNITY_A, PAST,
     [("CaseDispatched", 0), ("CaseSupervised", 0.2), ("CaseUrged", 0.3), ("CaseUrged", 0.4)],
     None),
    ("dispatched", "rk-a", COMMUNITY_A, LATER, [("CaseDispatched", 0)], None),
    ("acknowledged", "rk-a", COMMUNITY_A, PAST,
     [("CaseDispatched", 0), ("CaseAcknowledged", 1), ("ExtensionApproved", 2)], None),
    ("resolved", "rk-a", COMMUNITY_A, LATER, [("CaseDispatched", 0), ("CaseResolved", 5)], None),
    ("rejected", "rk-a", COMMUNITY_A, None, [("CaseRejected", 0)], None),
    ("closed", "rk-a", COMMUNITY_A, None, [("CaseClosed", 10)], None),
    ("closed", "rk-b", COMMUNITY_B, T0 + 4 * H,
     [("CaseDispatched", 0), ("CaseResolved", 1), ("CaseClosed", 2)], "satisfied"),
]  # fmt: skip


WORKERS = ("rk-worker-1", "rk-worker-2")
WORKER_NAMES = {"rk-worker-1": "王网格", "rk-worker-2": "李网格"}
# Case index (0-based) → the worker who filed its report; the others are the hotline's.
FILED_BY = {0: WORKERS[0], 1: WORKERS[0], 7: WORKERS[0], 8: WORKERS[0],
            2: WORKERS[1], 3: WORKERS[1], 9: WORKERS[1]}  # fmt: skip
ON_SPOT = {8}


def write_fixture(engine: Engine) -> None:
    """Writes the cases once per database (a second call finds them and does nothing)."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM case_file WHERE district_code = :d LIMIT 1"),
                        {"d": DISTRICT}).first():  # fmt: skip
            return
        category = conn.execute(text("SELECT code FROM category ORDER BY code LIMIT 1")).scalar()
        add_departments(conn, ("rk-a", "rk-b"), DISTRICT)
        workers = {
            name: conn.execute(
                text("INSERT INTO app_user (username, password_hash, role, display_name) "
                     "VALUES (:u, 'not-a-hash', 'grid_worker', :n) RETURNING id"),
                {"u": name, "n": WORKER_NAMES[name]},
            ).scalar_one()
            for name in WORKERS
        }  # fmt: skip
    for n, (state, dept, community, due, events, rating) in enumerate(CASES):
        case_id, report_id = uuid.uuid4(), uuid.uuid4()
        number = f"R{n:04d}{report_id.hex[:8]}"
        created = T0 - H
        cell = community + "001"
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO report (id, case_no, channel, reporter_id, category_code, "
                     "description, lat, lng, crs, placement, street_code, district_code, "
                     "occurred_at, handled_on_spot, body_hash) VALUES (:id, :no, :channel, "
                     ":reporter, :cat, '排名测试', 29.9, 121.5, 'wgs84', 'inside', :street, "
                     ":district, :at, :on_spot, :hash)"),
                {"id": report_id, "no": number, "cat": category, "street": STREET,
                 "district": DISTRICT, "at": created, "hash": report_id.hex,
                 "channel": "grid" if n in FILED_BY else "hotline",
                 "reporter": workers.get(FILED_BY.get(n, "")), "on_spot": n in ON_SPOT},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO case_file (id, case_no, report_id, state, category_code, "
                     "priority, department_code, cell_code, community_code, street_code, "
                     "district_code, created_at, resolve_due) VALUES (:id, :no, :rid, "
                     "'reported', :cat, 'normal', :dept, :cell, :community, :street, "
                     ":district, :at, :due)"),
                {"id": case_id, "no": number, "rid": report_id, "cat": category, "dept": dept,
                 "cell": cell, "community": community, "street": STREET, "district": DISTRICT,
                 "at": created, "due": due},
            )  # fmt: skip
            entries = []
            for kind, hours in events:
                wrapped = envelope(kind, {"case_id": str(case_id)}, occurred_at=T0 + hours * H)
                entries.append({"case_id": str(case_id), "actor": "test",
                                "at": wrapped["occurred_at"], "envelope": wrapped})  # fmt: skip
            record_events(conn, CASE_EVENTS, entries)
            conn.execute(text("UPDATE case_file SET state = :s WHERE id = :id"),
                         {"s": state, "id": case_id})  # fmt: skip
            if rating:
                conn.execute(
                    text("INSERT INTO case_rating (case_id, rating, rated_by, rated_at) "
                         "VALUES (:c, :r, 'reporter', now())"),
                    {"c": case_id, "r": rating},
                )  # fmt: skip
