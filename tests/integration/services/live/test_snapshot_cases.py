"""The snapshot's open cases and cell load, sent in columns and encoded by PostgreSQL, hold
what a case event's `case` view (encoded in Python) shows for the same cases: the fields the
map draws for an operator, the console's fields for department staff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text

from services.auth.principal import OPERATOR, Principal
from services.live import queries, snapshot
from services.store.live import cases as live_cases
from services.store.live.snapshot import FIELD_COLUMNS
from tests.integration.services.live.clients import rows, snapshot_cases

MAP_FIELDS = {
    "id",
    "report_id",
    "case_no",
    "state",
    "category_code",
    "category",
    "lat",
    "lng",
    "overdue",
    "seq",
}
CONSOLE_FIELDS = MAP_FIELDS | {"department_code", "ack_due", "resolve_due", "summary", "address"}
# The console's cards also show the latest supervision or urging by hand (none here).
PRESSED = "pressed"


def _python_views(engine, case_ids: list[str]) -> dict[str, dict]:
    with engine.connect() as conn:
        found = live_cases.cases_by_id(conn, case_ids)
    return {r.case_id: queries.case_view(r) for r in found}


def _odd_case(writer, engine, cell_code: str) -> tuple[str, datetime]:
    """A case of a department without an English name, with quotes, control characters and
    300 characters in its report, due a whole second ago (overdue)."""
    odd = writer.new_case(
        cell_code,
        department="no-english-name",
        description='引号 "quoted" \\ back\nslash\t and \x01 control ' + "长" * 300,
    )
    whole_second = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE department SET name_en = '' WHERE code = 'no-english-name'"),
        )
        conn.execute(
            text("UPDATE case_file SET ack_due = :due WHERE id = CAST(:id AS uuid)"),
            {"due": whole_second, "id": odd},
        )
    return odd, whole_second


def test_an_operators_snapshot_sends_the_fields_the_map_draws_in_columns(
    connect, token_of, writer, engine, cells
):
    street = cells[1].street
    plain = writer.new_case(cells[1].code)
    odd, _ = _odd_case(writer, engine, cells[1].code)
    _, token, _ = token_of("operator", jurisdiction=street)
    message = connect(token).wait_for("snapshot")
    assert set(message["cases"]["columns"]) == MAP_FIELDS - {"category"}
    shown = {c["id"]: c for c in snapshot_cases(message)}
    expected = _python_views(engine, [plain, odd])
    for case_id in (plain, odd):
        assert set(shown[case_id]) == MAP_FIELDS
        assert shown[case_id] == {k: expected[case_id][k] for k in MAP_FIELDS}
    assert shown[odd]["overdue"] is True and shown[plain]["overdue"] is False
    assert shown[plain]["category"] == {"zh": "花坛", "en": expected[plain]["category"]["en"]}
    # Most recent first, as before.
    created = [shown[c]["case_no"] for c in (odd, plain)]
    order = [c["case_no"] for c in snapshot_cases(message) if c["case_no"] in created]
    assert order == created


def test_department_staff_get_the_fields_of_their_consoles_cards(
    connect, token_of, writer, engine, cells
):
    odd, whole_second = _odd_case(writer, engine, cells[2].code)
    elsewhere = writer.new_case(cells[2].code, department="sanitation")
    _, token, _ = token_of("department_staff", department="no-english-name")
    message = connect(token).wait_for("snapshot")
    shown = {c["id"]: c for c in snapshot_cases(message)}
    assert elsewhere not in shown, "another department's case"
    expected = _python_views(engine, [odd])[odd]
    assert set(shown[odd]) == CONSOLE_FIELDS | {PRESSED}
    assert shown[odd] == {**{k: expected[k] for k in CONSOLE_FIELDS}, PRESSED: None}
    assert shown[odd]["ack_due"] == whole_second.isoformat()
    assert len(shown[odd]["summary"]) == 200
    assert shown[odd]["summary"].startswith('引号 "quoted" \\ back\nslash\t and \x01 control 长')


def test_cell_load_counts_open_and_overdue_cases_per_cell(connect, token_of, writer, engine, cells):
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
                f"SELECT count(*) AS open, count(*) FILTER (WHERE {live_cases.OVERDUE_SQL}) AS "
                f"overdue FROM case_file c WHERE {live_cases.OPEN_SQL} AND c.cell_code = :cell"
            ),
            {"cell": cell.code},
        ).one()
    principal = Principal(0, "op", OPERATOR, jurisdiction_code=cell.street)
    load = orjson.loads(orjson.dumps(snapshot.cell_load(engine, principal)))
    assert set(load) == {"cell_code", "open", "overdue"}
    [row] = [r for r in rows(load) if r["cell_code"] == cell.code]
    assert row == {"cell_code": cell.code, "open": counted.open, "overdue": counted.overdue}
    assert row["open"] >= 2 and row["overdue"] >= 1
    # The page's summary refresh gets the same columns.
    _, token, _ = token_of("operator", jurisdiction=cell.street)
    client = connect(token)
    client.wait_for("snapshot")
    refreshed = {r["cell_code"]: r for r in rows(client.call("summary")["cells"])}
    assert refreshed[cell.code] == row


def test_a_scope_without_cases_gets_empty_columns(engine):
    nobody = Principal(0, "w", "grid_worker")
    cases = orjson.loads(orjson.dumps(snapshot.open_cases(engine, nobody)))
    assert cases == {"columns": {k: [] for k in FIELD_COLUMNS}, "categories": {}}
    load = orjson.loads(orjson.dumps(snapshot.cell_load(engine, nobody)))
    assert load == {"cell_code": [], "open": [], "overdue": []}


def test_the_department_table_counts_each_departments_open_and_overdue_cases(
    connect, token_of, writer, engine, cells
):
    late, calm = (f"dept-{uuid.uuid4().hex[:8]}" for _ in range(2))
    cell = cells[3]
    overdue = writer.new_case(cell.code, department=late)
    writer.new_case(cell.code, department=late)
    writer.new_case(cell.code, department=calm)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_file SET ack_due = now() - interval '1 minute' WHERE id = :id"),
            {"id": overdue},
        )
        conn.execute(text("UPDATE department SET name_en = '' WHERE code = :c"), {"c": calm})
    _, token, _ = token_of("operator", jurisdiction=cell.street)
    table = connect(token).wait_for("snapshot")["departments"]
    mine = [row for row in table if row["department_code"] in (late, calm)]
    assert mine == [
        {"department_code": late, "name": {"zh": late, "en": late}, "open": 2, "overdue": 1},
        {"department_code": calm, "name": {"zh": calm, "en": calm}, "open": 1, "overdue": 0},
    ]
    overdue_counts = [row["overdue"] for row in table]
    assert overdue_counts == sorted(overdue_counts, reverse=True)


def test_a_grid_workers_snapshot_adds_the_cell_of_each_case_in_their_cells(
    connect, token_of, writer, engine, cells
):
    mine = writer.new_case(cells[3].code)
    other = writer.new_case(cells[4].code)
    _, token, _ = token_of("grid_worker", cells=(cells[3].code,))
    message = connect(token).wait_for("snapshot")
    shown = {c["id"]: c for c in snapshot_cases(message)}
    assert other not in shown, "a case outside the worker's cells"
    fields = MAP_FIELDS | {"cell_code"}
    assert set(shown[mine]) == fields
    assert shown[mine] == {k: _python_views(engine, [mine])[mine][k] for k in fields}
    assert shown[mine]["cell_code"] == cells[3].code


def test_phones_read_together_each_get_the_open_cases_of_their_own_cells(writer, engine, cells):
    """Grid workers connecting at once are read in one statement (services.live.coalesce):
    each gets what it would get alone, its cells' cases and no one else's."""
    first, second, both = (
        Principal(k, f"w{k}", "grid_worker", cell_codes=frozenset(codes))
        for k, codes in (
            (1, {cells[4].code}),
            (2, {cells[5].code}),
            (3, {cells[4].code, cells[5].code}),
        )
    )
    one, two = writer.new_case(cells[4].code), writer.new_case(cells[5].code)
    together = snapshot.workers_cases(engine, [first, second, both])
    alone = {p: snapshot.workers_cases(engine, [p])[p] for p in (first, second, both)}

    def ids(found) -> set[str]:
        return set(orjson.loads(orjson.dumps(found[1]))["columns"]["id"])

    assert {p: ids(v) for p, v in together.items()} == {p: ids(v) for p, v in alone.items()}
    assert one in ids(together[first]) and two not in ids(together[first])
    assert two in ids(together[second]) and one not in ids(together[second])
    assert {one, two} <= ids(together[both])
    assert len({last for last, _ in together.values()}) == 1  # one snapshot of the database
