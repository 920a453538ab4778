"""The snapshot's open cases and cell load, encoded by PostgreSQL, are what a case event's
`case` view (encoded in Python) shows for the same cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text

from services.auth.principal import OPERATOR, Principal
from services.live import queries


def _python_views(engine, case_ids: list[str]) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {queries.CASE_COLUMNS} FROM {queries.CASE_FROM} "
                "WHERE c.id::text = ANY(:ids)"
            ),
            {"ids": case_ids},
        ).all()
    return {r.case_id: queries.case_view(r) for r in rows}


def test_snapshot_cases_equal_the_event_view_of_the_same_cases(
    connect, token_of, writer, engine, cells
):
    street = cells[1].street
    plain = writer.new_case(cells[1].code)
    odd = writer.new_case(
        cells[1].code,
        department="no-english-name",
        description='引号 "quoted" \\ back\nslash\t and \x01 control ' + "长" * 300,
    )
    whole_second = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE department SET name_en = '' WHERE code = 'no-english-name'"),
        )
        # Due a whole second ago (no microseconds in its text), and overdue.
        conn.execute(
            text("UPDATE case_file SET ack_due = :due WHERE id = CAST(:id AS uuid)"),
            {"due": whole_second, "id": odd},
        )
    _, token, _ = token_of("operator", jurisdiction=street)
    snapshot = connect(token).wait_for("snapshot")
    shown = {c["id"]: c for c in snapshot["cases"]}
    expected = _python_views(engine, [plain, odd])
    assert shown[plain] == expected[plain]
    assert shown[odd] == expected[odd]
    assert shown[odd]["ack_due"] == whole_second.isoformat()
    assert shown[odd]["overdue"] is True and shown[plain]["overdue"] is False
    assert shown[odd]["department"] == {"zh": "no-english-name", "en": "no-english-name"}
    assert len(shown[odd]["summary"]) == 200
    # Most recent first, as before.
    created = [shown[c]["case_no"] for c in (odd, plain)]
    order = [c["case_no"] for c in snapshot["cases"] if c["case_no"] in created]
    assert order == created


def test_cell_load_counts_open_and_overdue_cases_per_cell(writer, engine, cells):
    cell = cells[2]
    first = writer.new_case(cell.code)
    writer.new_case(cell.code)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_file SET ack_due = now() - interval '1 minute' WHERE id = :id"),
            {"id": first},
        )
        counted = conn.execute(
            text(
                f"SELECT count(*) AS open, count(*) FILTER (WHERE {queries.OVERDUE_SQL}) AS "
                f"overdue FROM case_file c WHERE {queries.OPEN_SQL} AND c.cell_code = :cell"
            ),
            {"cell": cell.code},
        ).one()
    principal = Principal(0, "op", OPERATOR, jurisdiction_code=cell.street)
    load = orjson.loads(orjson.dumps(queries.cell_load(engine, principal)))
    [row] = [r for r in load if r["cell_code"] == cell.code]
    assert row == {"cell_code": cell.code, "open": counted.open, "overdue": counted.overdue}
    assert row["open"] >= 2 and row["overdue"] >= 1
    nobody = Principal(0, "w", "grid_worker")
    assert orjson.loads(orjson.dumps(queries.open_cases(engine, nobody))) == []
    assert orjson.loads(orjson.dumps(queries.cell_load(engine, nobody))) == []
