"""Case transitions are audited once per statement: the trail entries of several events
written by one statement, for one case or several, are those a row-by-row trigger wrote —
in the events' order, each `before` the `after` of the case's entry before it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text

from services.envelopes import CASE_EVENTS, envelope
from services.store.cases.history import record_events


def _trail(conn, case_id: str) -> list[dict]:
    return [
        dict(row)
        for row in conn.execute(
            text(
                "SELECT id, actor, action, before, after, detail FROM audit_log "
                "WHERE subject = :s ORDER BY id"
            ),
            {"s": f"case:{case_id}"},
        ).mappings()
    ]


def _entry(case_id, event_type: str, actor: str | None) -> dict:
    case_id = str(case_id)
    wrapped = envelope(event_type, {"case_id": case_id, "note": event_type},
                       occurred_at=datetime.now(UTC))  # fmt: skip
    return {"case_id": case_id, "actor": actor, "at": wrapped["occurred_at"], "envelope": wrapped}


def test_events_of_one_statement_are_audited_in_order_each_before_the_after_of_the_one_before(
    engine, cases
):
    first, other = cases.case("201001"), cases.case("201001")
    entries = [
        _entry(first["id"], "CaseNoteAdded", "operator-1"),
        _entry(other["id"], "CaseNoteAdded", None),
        _entry(first["id"], "CaseNoteAdded", None),
    ]
    with engine.begin() as conn:
        before_first, before_other = _trail(conn, first["id"]), _trail(conn, other["id"])
        conn.execute(
            text("UPDATE case_file SET escalation_level = 2 WHERE id = :id"), {"id": first["id"]}
        )
        record_events(conn, CASE_EVENTS, entries)
    with engine.connect() as conn:
        after_first, after_other = _trail(conn, first["id"]), _trail(conn, other["id"])

    assert [e["action"] for e in before_first] == ["case.CaseRegistered", "case.CaseDispatched"]
    new_first = after_first[len(before_first) :]
    new_other = after_other[len(before_other) :]
    assert [e["detail"]["event_id"] for e in new_first] == [
        entries[0]["envelope"]["event_id"],
        entries[2]["envelope"]["event_id"],
    ]
    assert [e["detail"]["event_id"] for e in new_other] == [entries[1]["envelope"]["event_id"]]
    assert new_first[0]["id"] < new_other[0]["id"] < new_first[1]["id"]  # the events' order
    assert [e["actor"] for e in new_first] == ["operator-1", "system"]
    # The case as it is when the statement's events are written, chained entry to entry.
    assert new_first[0]["before"] == before_first[-1]["after"]
    assert new_first[0]["after"] == {**before_first[-1]["after"], "escalation_level": 2}
    assert new_first[1]["before"] == new_first[0]["after"] == new_first[1]["after"]
    assert new_other[0]["before"] == before_other[-1]["after"] == new_other[0]["after"]
    assert new_first[0]["detail"]["case_no"] == first["case_no"]
    assert new_first[0]["detail"]["payload"] == entries[0]["envelope"]["payload"]


def test_an_insert_of_no_case_event_writes_no_entry(engine):
    with engine.begin() as conn:
        newest = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        conn.execute(text("INSERT INTO case_event (event_id, case_id, type, at, payload) "
                          "SELECT gen_random_uuid(), id, 'CaseNoteAdded', now(), '{}' "
                          "FROM case_file WHERE false"))  # fmt: skip
        assert conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one() == newest


def test_the_triggers_on_case_events_and_facts_hold_no_case_rule(engine):
    # What an event means for a case (a fact it folds into, what a dispatch changed) is the
    # writer's, from the domain: the triggers of case_event and case_fact only copy columns,
    # append to the trail and notify, so none names an event type (migration 0021).
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT DISTINCT t.tgrelid::regclass::text AS tab, p.proname, "
                "pg_get_functiondef(p.oid) AS body FROM pg_trigger t "
                "JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text IN "
                "('case_event', 'case_fact', 'case_file', 'case_rating')"
            )
        ).all()
    assert {r.proname for r in found} >= {"audit_case_events", "case_fact_add_cases"}
    naming = {r.proname for r in found if re.search(r"'(?:Case|Extension)[A-Z]\w*'", r.body)}
    assert naming == set()
