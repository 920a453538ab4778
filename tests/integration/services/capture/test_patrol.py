"""POST /api/v1/patrol/pings: buffered track points into the outbox, one event per batch."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from tests.integration.services.accounts import signed_in


def pings(point, n, crs="wgs84"):
    start = datetime.now(UTC) - timedelta(minutes=30)
    return [
        {
            "t": (start + timedelta(seconds=2 * i)).isoformat(),
            "lat": point.lat + i * 1e-5,
            "lng": point.lng,
            "crs": crs,
            "accuracy_m": 6,
        }
        for i in range(n)
    ]


def ping_events(engine, worker_id):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT key, event_type, envelope FROM outbox "
                "WHERE topic = 'patrol-pings.v1' AND key = :k ORDER BY id"
            ),
            {"k": str(worker_id)},
        ).all()


def test_a_batch_becomes_one_outbox_event_keyed_by_worker(api, engine, cells, worker):
    worker_id, headers = worker
    batch = {"batch_id": str(uuid.uuid4()), "pings": pings(cells[0], 500)}
    resp = api.post("/api/v1/patrol/pings", json=batch, headers=headers)
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json() == {"batch_id": batch["batch_id"], "accepted": 500, "duplicate": False}
    [event] = ping_events(engine, worker_id)
    assert event.event_type == "PatrolPingsReceived"
    payload = event.envelope["payload"]
    assert payload["worker_id"] == worker_id and len(payload["pings"]) == 500
    assert abs(payload["pings"][0]["lat"] - cells[0].lat) < 1e-6

    retry = api.post("/api/v1/patrol/pings", json=batch, headers=headers)
    assert retry.status_code == 200 and retry.get_json()["duplicate"] is True
    assert len(ping_events(engine, worker_id)) == 1


def test_gcj02_points_are_converted_to_wgs84(api, engine, cells):
    from geo.datum import from_wgs84

    worker_id, headers = signed_in(api, engine, "grid_worker", cells=(cells[0].code,))
    lat, lng = from_wgs84(cells[0].lat, cells[0].lng, "gcj02")
    ping = {"t": datetime.now(UTC).isoformat(), "lat": lat, "lng": lng, "crs": "gcj02"}
    assert (
        api.post("/api/v1/patrol/pings", json={"pings": [ping]}, headers=headers).status_code == 202
    )
    [event] = ping_events(engine, worker_id)
    point = event.envelope["payload"]["pings"][0]
    assert abs(point["lat"] - cells[0].lat) < 1e-6 and abs(point["lng"] - cells[0].lng) < 1e-6


def test_bad_batches_are_refused_naming_the_point(api, cells, worker):
    _, headers = worker
    too_many = {"pings": pings(cells[0], 501)}
    resp = api.post("/api/v1/patrol/pings", json=too_many, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "pings"
    bad = pings(cells[0], 5)
    bad[3]["lat"] = 95
    resp = api.post("/api/v1/patrol/pings", json={"pings": bad}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "pings[3].lat"
    future = pings(cells[0], 3)
    future[2]["t"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    resp = api.post("/api/v1/patrol/pings", json={"pings": future}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "pings[2].t"
    empty = api.post("/api/v1/patrol/pings", json={"pings": []}, headers=headers)
    assert empty.status_code == 422


def test_only_grid_workers_send_pings(api, engine, cells):
    body = {"pings": pings(cells[0], 2)}
    assert api.post("/api/v1/patrol/pings", json=body).status_code == 401
    _, headers = signed_in(api, engine, "operator", jurisdiction=cells[0].district)
    assert api.post("/api/v1/patrol/pings", json=body, headers=headers).status_code == 403


def test_a_batch_reports_the_workers_latest_point_for_the_live_map(api, engine, cells):
    worker_id, headers = signed_in(api, engine, "grid_worker", cells=(cells[0].code,))
    points = pings(cells[0], 40)
    latest = points[-1]
    points = points[20:] + points[:20]  # the phone's buffer need not be in time order
    resp = api.post("/api/v1/patrol/pings", json={"pings": points}, headers=headers)
    assert resp.status_code == 202
    with engine.connect() as conn:
        [(event_type, envelope)] = conn.execute(
            text(
                "SELECT event_type, envelope FROM outbox "
                "WHERE topic = 'patrol-positions.v1' AND key = :k"
            ),
            {"k": str(worker_id)},
        ).all()
    assert event_type == "WorkerPositionReported"
    position = envelope["payload"]
    assert position["worker_id"] == worker_id
    assert datetime.fromisoformat(position["t"]) == datetime.fromisoformat(latest["t"])
    assert (
        abs(position["lat"] - latest["lat"]) < 1e-7 and abs(position["lng"] - latest["lng"]) < 1e-7
    )


def test_every_form_the_schema_accepts_stores_the_same_points(api, engine, cells):
    worker_id, headers = signed_in(api, engine, "grid_worker", cells=(cells[0].code,))
    plain = pings(cells[0], 3)
    other = [
        {**p, "t": datetime.fromisoformat(p["t"]).timestamp(), "lat": str(p["lat"])} for p in plain
    ]
    offset = [
        {**p, "t": datetime.fromisoformat(p["t"]).astimezone(timezone(timedelta(hours=8)))
         .isoformat()}
        for p in plain
    ]  # fmt: skip
    for body in (plain, other, offset):
        resp = api.post("/api/v1/patrol/pings", json={"pings": body}, headers=headers)
        assert resp.status_code == 202, resp.get_json()
    stored = [e.envelope["payload"]["pings"] for e in ping_events(engine, worker_id)]
    assert len(stored) == 3 and stored[0] == stored[1] == stored[2]
    assert stored[0][0]["t"] == datetime.fromisoformat(plain[0]["t"]).isoformat()


def test_a_bad_point_deep_in_a_full_batch_is_named(api, cells, worker):
    _, headers = worker
    changes = (
        (17, {"lat": -90.5}),
        (499, {"crs": "itrf"}),
        (250, {"accuracy_m": -2}),
        (3, {"crs": ["wgs84"]}),
        (4, {"t": {"at": 1}}),
    )
    for i, change in changes:
        body = pings(cells[0], 500)
        body[i].update(change)
        resp = api.post("/api/v1/patrol/pings", json={"pings": body}, headers=headers)
        field = f"pings[{i}].{next(iter(change))}"
        assert resp.status_code == 422 and resp.get_json()["error"]["field"] == field
    body = pings(cells[0], 4)
    body[1]["t"] = body[1]["t"].replace("+00:00", "")
    resp = api.post("/api/v1/patrol/pings", json={"pings": body}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "pings[1].t"
    nan = '{"pings": [{"t": "2026-01-01T00:00:00Z", "lat": NaN, "lng": 1, "crs": "wgs84"}]}'
    resp = api.post("/api/v1/patrol/pings", data=nan, headers=headers,
                    content_type="application/json")  # fmt: skip
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "pings[0].lat"
