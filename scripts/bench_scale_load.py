"""The city-scale history `./scripts/bench scale` (and `bench leaders`) measures against: the
demo district cut into ~100,000 cells and 1,000,000 historical cases over the last 365 days,
loaded in bulk, and a note on the database of what was loaded (a kept database is reused).
"""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from services.store.cases.facts import refold
from services.store.rollup import compact

DISTRICT = "330211"


def load_grid(engine, cells_wanted: int) -> dict:
    """The demo district cut into squares sized to give about `cells_wanted` cells."""
    from geo.demo import DEMO_SIZE_M, demo_grid, read_boundary
    from geo.generate import generate_grid
    from geo.importer import lock_grids, write_validated

    demo_cells = len(demo_grid().cells)
    size = DEMO_SIZE_M * (demo_cells / cells_wanted) ** 0.5
    code, name, boundary = read_boundary()
    started = time.monotonic()
    grid = generate_grid(boundary, code, name, shape="square", size_m=size,
                         community_cells=8, street_communities=4)  # fmt: skip
    with engine.begin() as conn:
        # ~100,000 cells in one COPY: past the 30 s default on a busy host.
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        lock_grids(conn)
        write_validated(conn, grid, source=f"bench:square:{size:.1f}m", note=None)
    return {"cells": len(grid.cells), "cell_size_m": round(size, 1),
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


HISTORY_SQL = [
    "SELECT setseed(0.42)",
    """CREATE TEMP TABLE bc AS SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, c.code,
       c.community_code, c.street_code, c.district_code, c.version_id,
       ST_PointOnSurface(c.geom) AS p
       FROM grid_cell c JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL""",
    """CREATE TEMP TABLE bk AS SELECT row_number() OVER (ORDER BY k.code) AS n, k.code,
       k.priority, k.around_the_clock, r.department_code
       FROM category k JOIN routing_rule r ON r.category_code = k.code AND r.active
       AND r.jurisdiction_code = :district WHERE k.active""",
    # Reports, oldest first, one every 365 days / N.
    """INSERT INTO report (id, case_no, channel, reporter_id, category_code, description, lat,
       lng, geom, crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
       community_code, street_code, district_code, occurred_at, received_at, body_hash)
       SELECT gen_random_uuid(), 'B' || lpad(s.g::text, 9, '0'), 'grid', :reporter, bk.code,
         '巡查发现问题', ST_Y(bc.p), ST_X(bc.p), bc.p, 'wgs84', 8, 'inside', 0, bc.id, bc.code,
         bc.version_id, bc.community_code, bc.street_code, bc.district_code,
         s.t - interval '2 minutes', s.t, md5(s.g::text)
       FROM (SELECT g, now() - ((:n - g)::float8 / :n) * interval '365 days' AS t,
                    1 + floor(random() * :cells)::int AS cn, 1 + floor(random() * :kinds)::int AS kn
             FROM generate_series(1, :n) g) s
       JOIN bc ON bc.n = s.cn JOIN bk ON bk.n = s.kn
       ORDER BY s.g""",
    # Their cases: older than :open_days mostly closed (3% rejected), newer ones still open.
    """INSERT INTO case_file (id, case_no, report_id, state, category_code, priority,
       around_the_clock, department_code, route_reason, cell_id, cell_code, grid_version,
       community_code, street_code, district_code, geom, created_at, registered_at,
       dispatched_at, acknowledged_at, resolved_at, closed_at, ack_due, resolve_due,
       ack_overdue, resolve_overdue)
       SELECT gen_random_uuid(), r.case_no, r.id, x.state, r.category_code, bk.priority,
         bk.around_the_clock, CASE WHEN x.state = 'rejected' THEN NULL ELSE bk.department_code END,
         'bench history', r.cell_id, r.cell_code, r.grid_version, r.community_code,
         r.street_code, r.district_code, r.geom, r.received_at,
         r.received_at + interval '1 minute',
         CASE WHEN x.state <> 'rejected' THEN r.received_at + interval '2 minutes' END,
         CASE WHEN x.state IN ('acknowledged', 'resolved', 'closed')
              THEN r.received_at + x.ack * interval '1 minute' END,
         CASE WHEN x.state IN ('resolved', 'closed')
              THEN r.received_at + x.fix * interval '1 minute' END,
         CASE WHEN x.state = 'closed' THEN r.received_at + (x.fix + 60) * interval '1 minute' END,
         r.received_at + interval '30 minutes', r.received_at + interval '8 hours',
         x.ack > 30 AND x.state = 'dispatched', x.fix > 480 AND x.state <> 'closed'
       FROM report r JOIN bk ON bk.code = r.category_code
       CROSS JOIN LATERAL (SELECT
         CASE WHEN r.received_at < now() - :open_days * interval '1 day'
              THEN CASE WHEN random() < 0.03 THEN 'rejected' ELSE 'closed' END
              ELSE (ARRAY['dispatched', 'acknowledged', 'resolved', 'closed'])
                   [1 + floor(random() * 4)::int] END AS state,
         5 + floor(random() * 40)::int AS ack,
         60 + floor(random() * 600)::int AS fix) x
       WHERE r.case_no LIKE 'B%'
       ORDER BY r.received_at""",
    """INSERT INTO case_event (event_id, case_id, type, actor, at, payload)
       SELECT gen_random_uuid(), c.id, e.type, 'bench', e.at, '{}'::jsonb
       FROM case_file c CROSS JOIN LATERAL (VALUES
         ('CaseRegistered', c.registered_at), ('CaseRejected',
           CASE WHEN c.state = 'rejected' THEN c.registered_at END),
         ('CaseDispatched', c.dispatched_at), ('CaseAcknowledged', c.acknowledged_at),
         ('CaseResolved', c.resolved_at), ('CaseClosed', c.closed_at)) AS e(type, at)
       WHERE e.at IS NOT NULL AND c.route_reason = 'bench history'
       ORDER BY c.created_at, e.at""",
    """INSERT INTO case_rating (case_id, rating, rated_by, rated_at)
       SELECT c.id, (ARRAY['satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied'])
              [1 + floor(random() * 4)::int], 'reporter', c.closed_at + interval '1 day'
       FROM case_file c WHERE c.state = 'closed' AND random() < 0.33""",
]
HISTORY_TABLES = ("report", "case_file", "case_event", "case_rating")


def load_history(engine, cases: int, reporter: int, open_days: float) -> dict:
    """`cases` reports and cases with their events, loaded in bulk: the tables' secondary
    indexes are dropped during the load and recreated from their own definitions after."""
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        indexes = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = ANY(:tables) AND i.schemaname = 'public' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"
            ),
            {"tables": list(HISTORY_TABLES)},
        ).all()
        for idx in indexes:
            conn.execute(text(f'DROP INDEX "{idx.indexname}"'))
        for sql in HISTORY_SQL[:3]:
            conn.execute(text(sql), {"district": DISTRICT})
        params = {
            "district": DISTRICT, "n": cases, "reporter": reporter, "open_days": open_days,
            "kinds": conn.execute(text("SELECT count(*) FROM bk")).scalar_one(),
            "cells": conn.execute(text("SELECT count(*) FROM bc")).scalar_one(),
        }  # fmt: skip
        for sql in HISTORY_SQL[3:]:
            conn.execute(text(sql), params)
        refold(conn)  # the events were written in bulk, past the writer that folds them
        compact(conn)  # the refold's differences into the KPI month rollup
        for idx in indexes:
            conn.execute(text(idx.indexdef))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM ANALYZE"))
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in HISTORY_TABLES}  # fmt: skip
        open_cases = conn.execute(
            text("SELECT count(*) FROM case_file WHERE state NOT IN ('closed','rejected','merged')")
        ).scalar_one()
    return {"rows": counts, "open_cases": open_cases,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def remember(engine, grid: dict, history: dict) -> None:
    """Notes what was loaded on the database itself, for a later --reuse-db run."""
    doc = json.dumps([grid, history]).replace("'", "''")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"COMMENT ON DATABASE \"{engine.url.database}\" IS '{doc}'")


def loaded(engine) -> tuple[dict | None, dict | None]:
    """What an earlier run loaded into this database (kept with --keep-db), or (None, None)."""
    with engine.connect() as conn:
        doc = conn.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = current_database()"
            )  # fmt: skip
        ).scalar()
    if not doc:
        return None, None
    grid, history = json.loads(doc)
    return grid, {**history, "reused": True}
