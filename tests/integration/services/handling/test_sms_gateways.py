"""Each district's SMS gateway: a hotline caller in a district with a gateway of its own
(GRIDFLOW_SMS_GATEWAYS) is texted through it, in its shape; a caller whose case lies in no such
district through the global gateway. Two real local HTTP receivers, the notifier's own
processor and sender on the real stack."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

from streams.consumed import Event
from streams.notifier import Sender, make_notifier
from tests.integration.services.handling.loop import captured_event, cell_point
from tests.processes import free_port

DISTRICT = "330211"  # the demo grid's district
FAR_AWAY = (31.23, 121.47)  # no cell of the grid: the call is placed outside any district


class Gateway:
    """An SMS gateway on a free port recording each request it answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), raw))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def gateways():
    made = Gateway(), Gateway()
    yield made
    for gateway in made:
        gateway.close()


def _call(api, admin, lat: float, lng: float, phone: str) -> str:
    body = {"id": str(uuid.uuid4()), "category": "104001", "description": "来电反映井盖松动",
            "location": {"lat": lat, "lng": lng, "crs": "wgs84"},
            "caller_phone": phone}  # fmt: skip
    resp = api.post("/api/v1/operator/hotline/calls", json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _case_events(engine, report_id: str) -> list[Event]:
    """The case events of a report's case, from the outbox as Kafka carries them."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.envelope FROM outbox o JOIN case_file k ON k.report_id = :r "
            "WHERE o.envelope->'payload'->>'case_id' = k.id::text ORDER BY o.id"),
            {"r": report_id}).scalars().all()  # fmt: skip
    return [Event(event_id=uuid.UUID(e["event_id"]), type=e["type"],
                  occurred_at=datetime.fromisoformat(e["occurred_at"]),
                  schema_version=e["schema_version"], payload=e["payload"],
                  topic="case-events", partition=0, offset=0, key=None)
            for e in rows]  # fmt: skip


def test_a_districts_own_gateway_texts_its_callers_the_global_one_the_rest(
    api, engine, config, login, cases, gateways
):
    own, shared = gateways
    config = config.with_(
        sms_gateway_url=shared.url,
        sms_gateways=json.dumps({DISTRICT: {
            "url": own.url, "format": "form", "token": "zh-token",
            "fields": "mobile={phone},content=【镇海12345】{text},sn={case_no}"}}),
    )  # fmt: skip
    admin = login("admin")[1]
    inside = _call(api, admin, *cell_point(engine, cases.fresh_cell()), phone="13900000001")
    outside = _call(api, admin, *FAR_AWAY, phone="13900000002")
    for report_id in (inside, outside):
        cases.route(captured_event(engine, report_id))
    resp = api.post(f"/api/v1/operator/reports/{outside}/reject", headers=admin,
                    json={"reason": "不属于本市管辖范围"})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    with engine.connect() as conn:
        case_nos = dict(conn.execute(text(
            "SELECT r.id::text, r.case_no FROM report r WHERE r.id IN (:a, :b)"),
            {"a": inside, "b": outside}).all())  # fmt: skip

    notify = make_notifier(engine, config)
    for report_id in (inside, outside):
        for event in _case_events(engine, report_id):
            notify(event)
    sender = Sender(engine, config)
    while sender.deliver_due():
        pass

    # the district's gateway: its form body, its field names, its token; that caller alone
    [(headers, raw)] = own.received
    assert headers["Authorization"] == "Bearer zh-token"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(raw.decode())
    assert form["mobile"] == ["13900000001"] and form["sn"] == [case_nos[inside]]
    [content] = form["content"]
    assert content.startswith(f"【镇海12345】您反映的问题（{case_nos[inside]}）已派遣至")
    # the global gateway, in the global shape: the caller placed in no district
    [(headers, raw)] = shared.received
    assert "Authorization" not in headers
    assert headers["Content-Type"].startswith("application/json")
    sent = json.loads(raw)
    assert set(sent) == {"phone", "text"} and sent["phone"] == "13900000002"
    assert sent["text"].startswith(f"您反映的问题（{case_nos[outside]}）")
    with engine.connect() as conn:
        targets = dict(conn.execute(text(
            "SELECT body->>'phone', target FROM notification WHERE channel = 'sms' "
            "AND body->>'case_no' IN (:a, :b)"),
            {"a": case_nos[inside], "b": case_nos[outside]}).all())  # fmt: skip
    assert targets == {"13900000001": own.url, "13900000002": shared.url}
