"""Reports of concurrent requests written together (services/capture/writer.py): each answer
is its own report, stored with its outbox event, and case numbers stay gapless."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import text

from tests.integration.services.capture.payloads import report_body


def _seq(case_no: str) -> int:
    return int(case_no[14:])


def test_concurrent_reports_get_their_own_consecutive_case_numbers(
    capture_app, api, engine, cells, worker
):
    _, headers = worker
    bodies = [report_body(cells[i % 2]) for i in range(40)]
    bodies[7]["category"] = "999999"  # unknown: refused alone, whatever batch it falls in
    bodies[20] = report_body(cells[0]) | {"id": bodies[3]["id"]}  # same id, another body
    start = threading.Barrier(20)

    def send(body):
        client = capture_app.test_client()
        try:
            start.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return client.post("/api/v1/reports", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, bodies))

    assert answers[7].status_code == 422
    assert answers[7].get_json()["error"]["field"] == "category"
    # Of the two bodies with one id, one is stored (201) and the other refused (409).
    assert sorted((answers[3].status_code, answers[20].status_code)) == [201, 409]
    created = [(b, a.get_json()) for b, a in zip(bodies, answers, strict=True)
               if a.status_code == 201]  # fmt: skip
    assert len(created) == 38
    for body, answer in created:
        assert answer["id"] == body["id"]
        assert answer["description"] == body["description"]
    numbers = sorted(_seq(a["case_no"]) for _, a in created)
    assert numbers == list(range(numbers[0], numbers[0] + 38))  # no gap, none twice
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.id::text, r.case_no, o.envelope->'payload'->>'case_no' AS event_case_no "
                "FROM report r JOIN outbox o ON o.event_type = 'ReportCaptured' "
                "AND o.envelope->'payload'->>'report_id' = r.id::text "
                "WHERE r.id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [a["id"] for _, a in created]},
        ).all()
    assert len(rows) == 38
    answered = {a["id"]: a["case_no"] for _, a in created}
    assert all(r.case_no == r.event_case_no == answered[r.id] for r in rows)


def test_an_offset_postgresql_cannot_read_is_stored_as_the_same_instant(api, engine, cells, worker):
    _, headers = worker
    body = report_body(cells[0], occurred_at="2026-01-01T20:00:00+16:00")
    answer = api.post("/api/v1/reports", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT occurred_at FROM report WHERE id = :id"), {"id": body["id"]}
        ).scalar_one()
    assert stored == datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
