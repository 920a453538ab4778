"""POST /api/v1/reports: durable, idempotent acceptance of a grid worker's report."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from tests.integration.services.capture.payloads import report_body


def outbox_events(engine, report_id):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT topic, key, event_type, envelope FROM outbox "
                "WHERE envelope->'payload'->>'report_id' = :id"
            ),
            {"id": str(report_id)},
        ).all()


def report_count(engine, report_id):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM report WHERE id = :id"), {"id": report_id}
        ).scalar_one()


def test_a_report_inside_a_cell_is_accepted_with_its_cell_and_an_outbox_event(
    api, engine, cells, worker
):
    user_id, headers = worker
    body = report_body(cells[0])
    resp = api.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["id"] == body["id"]
    assert re.fullmatch(rf"{cells[0].district}\d{{8}}\d{{5}}", out["case_no"])
    assert out["status"] == "reported"
    assert out["channel"] == "grid"
    assert out["reporter_id"] == user_id
    assert out["category"]["code"] == "201001" and out["category"]["name_zh"] == "暴露垃圾"
    placement = out["placement"]
    assert placement["status"] == "inside"
    assert placement["cell_code"] == cells[0].code
    assert placement["community_code"] == cells[0].code[:12]
    assert placement["street_code"] == cells[0].street
    assert placement["district_code"] == cells[0].district
    assert resp.headers["Location"].endswith(f"/api/v1/reports/{body['id']}")

    [event] = outbox_events(engine, body["id"])
    assert event.topic == "reports.v1" and event.event_type == "ReportCaptured"
    assert event.key == cells[0].code
    payload = event.envelope["payload"]
    assert payload["case_no"] == out["case_no"]
    assert payload["priority"] == "normal"
    assert payload["cell_id"] == placement["cell_id"]
    assert payload["placement"] == "inside"
    assert payload["reporter_id"] == user_id
    assert payload["handled_on_spot"] is False
    for key in ("lat", "lng", "occurred_at", "received_at", "district_code", "description"):
        assert payload[key] is not None


def test_a_retry_returns_the_same_report_with_200_and_creates_nothing(api, engine, cells, worker):
    _, headers = worker
    body = report_body(cells[1])
    first = api.post("/api/v1/reports", json=body, headers=headers)
    again = api.post("/api/v1/reports", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert report_count(engine, body["id"]) == 1
    assert len(outbox_events(engine, body["id"])) == 1


def test_the_same_id_with_another_body_is_a_409(api, engine, cells, worker):
    _, headers = worker
    body = report_body(cells[0])
    assert api.post("/api/v1/reports", json=body, headers=headers).status_code == 201
    changed = dict(body, description="另一个问题")
    resp = api.post("/api/v1/reports", json=changed, headers=headers)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["field"] == "id"


def test_twenty_concurrent_retries_create_exactly_one_report(capture_app, engine, cells, worker):
    _, headers = worker
    body = report_body(cells[0])

    def send(_):
        resp = capture_app.test_client().post("/api/v1/reports", json=body, headers=headers)
        return resp.status_code, resp.get_json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201]
    assert len({json.dumps(out, sort_keys=True) for _, out in results}) == 1
    assert report_count(engine, body["id"]) == 1
    assert len(outbox_events(engine, body["id"])) == 1


def test_points_outside_the_grid_are_accepted_and_flagged(api, engine, cells, worker):
    _, headers = worker
    far = {"lat": 39.9, "lng": 116.4, "crs": "wgs84", "accuracy_m": 5}
    body = report_body(cells[0], location=far)
    resp = api.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 201
    placement = resp.get_json()["placement"]
    assert placement["status"] == "outside" and placement["cell_code"] is None
    assert resp.get_json()["case_no"].startswith("000000")
    [event] = outbox_events(engine, body["id"])
    assert event.key == "outside"


def test_gcj02_coordinates_are_stored_in_wgs84(api, cells, worker):
    from geo.datum import from_wgs84

    _, headers = worker
    lat, lng = from_wgs84(cells[0].lat, cells[0].lng, "gcj02")
    body = report_body(cells[0], location={"lat": lat, "lng": lng, "crs": "gcj02"})
    resp = api.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 201
    out = resp.get_json()
    assert out["placement"]["cell_code"] == cells[0].code
    assert abs(out["location"]["lat"] - cells[0].lat) < 1e-6
    assert abs(out["location"]["lng"] - cells[0].lng) < 1e-6
    assert out["location"]["submitted_crs"] == "gcj02"


def test_a_report_accepted_while_kafka_is_unreachable(config, make_app, engine, cells):
    """The API never talks to Kafka on this path: a dead broker address changes nothing."""
    import socket

    from tests.integration.services.accounts import signed_in

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    app = make_app(config.with_(kafka_bootstrap_servers=f"127.0.0.1:{dead}"))
    client = app.test_client()
    _, headers = signed_in(client, engine, "grid_worker", cells=(cells[0].code,))
    body = report_body(cells[0])
    resp = client.post("/api/v1/reports", json=body, headers=headers)
    app.extensions["gridflow"].locator.close()
    assert resp.status_code == 201
    [event] = outbox_events(engine, body["id"])
    assert event.event_type == "ReportCaptured"
    assert event.envelope["payload"]["case_no"] == resp.get_json()["case_no"]
