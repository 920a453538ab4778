"""Live case event messages, encoded by PostgreSQL, are the messages a replay builds in Python
for the same events; a record without a usable event id holds nothing up."""

from __future__ import annotations

from sqlalchemy import text

from services.auth.principal import ADMIN, OPERATOR, Principal
from services.envelopes import CASE_EVENTS, envelope, topic_name
from services.live import queries


def test_live_messages_equal_the_replayed_messages_of_the_same_events(
    connect, token_of, writer, engine, cells
):
    _, token, _ = token_of("operator", jurisdiction=cells[2].street)
    client = connect(token)
    client.wait_for("snapshot")
    case_id = writer.new_case(
        cells[2].code,
        department="no-english-name",
        description='引号 "quoted" \\ back\nslash\t and \x01 control ' + "长" * 300,
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE department SET name_en = '' WHERE code = 'no-english-name'"))
    returned = writer.event(
        case_id,
        "CaseReturned",
        department_code="no-english-name",
        previous_department_code="sanitation",
        reason="不属于本部门",
        level=2,
        due=None,
        internal_note="stays in the timeline",
    )
    writer.event(case_id, "CaseResolved", department_code="no-english-name")

    live = client.wait_for(
        "case_event",
        lambda m: m["case"]["id"] == case_id and m["type"] == "CaseResolved",
        timeout_s=3,
    )
    received = [m for m in client.messages("case_event") if m["case"]["id"] == case_id]
    assert [m["type"] for m in received] == [
        "CaseRegistered",
        "CaseDispatched",
        "CaseReturned",
        "CaseResolved",
    ]
    admin = Principal(0, "admin", ADMIN)
    replayed = {
        m["id"]: m
        for m in queries.events_since(engine, admin, min(m["id"] for m in received) - 1)
        if m["case"]["id"] == case_id
    }
    by_id = {m["id"]: m for m in received}
    # The case as it is now: the replay reads it later than the earlier live messages did.
    assert by_id[live["id"]] == replayed[live["id"]]
    for message in received:
        expected = replayed[message["id"]]
        assert {k: v for k, v in message.items() if k != "case"} == {
            k: v for k, v in expected.items() if k != "case"
        }
    shown = by_id[returned]
    assert shown["detail"] == {
        "department_code": "no-english-name",
        "previous_department_code": "sanitation",
        "reason": "不属于本部门",
        "level": 2,
        "due": None,
    }
    assert live["case"]["department"] == {"zh": "no-english-name", "en": "no-english-name"}
    assert len(live["case"]["summary"]) == 200


def test_a_record_without_a_usable_event_id_does_not_delay_the_next_events(
    connect, token_of, writer, cells
):
    _, token, _ = token_of("operator", jurisdiction=cells[0].street)
    client = connect(token)
    client.wait_for("snapshot")
    topic = topic_name(writer.config.topic_prefix, CASE_EVENTS)
    for bad in ("not-a-uuid", None, 12):
        body = envelope("CaseDispatched", {"case_id": "x"})
        body["event_id"] = bad
        writer._send(topic, "x", body)
    case_id = writer.new_case(cells[0].code)
    client.wait_for("case_event", lambda m: m["case"]["id"] == case_id, timeout_s=2)


def test_a_first_snapshots_recent_events_are_the_replayed_messages_of_the_same_events(
    connect, token_of, writer, engine, cells
):
    case_id = writer.new_case(cells[4].code, description='引号 "quoted" ' + "长" * 300)
    writer.event(case_id, "CaseReturned", department_code="sanitation", reason="不属于本部门")
    _, token, _ = token_of("operator", jurisdiction=cells[4].street)
    snapshot = connect(token).wait_for("snapshot")
    recent = snapshot["events"]
    ids = [m["id"] for m in recent]
    assert 0 < len(recent) <= 30 and ids == sorted(ids)
    assert [m["type"] for m in recent if m["case"]["id"] == case_id] == [
        "CaseRegistered",
        "CaseDispatched",
        "CaseReturned",
    ]
    operator = Principal(0, "op", OPERATOR, jurisdiction_code=cells[4].street)
    replayed = {m["id"]: m for m in queries.events_since(engine, operator, ids[0] - 1)}
    assert recent == [replayed[i] for i in ids]
    assert all(m["case"]["street_code"] == cells[4].street for m in recent)
