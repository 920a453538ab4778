"""Patrol: positions are sampled at the chosen interval, buffered while offline and sent in
batches (each batch once) when the network is back."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in


def test_patrol_samples_buffer_offline_and_arrive_in_batches(phone, live_server, worker, engine):
    page = phone.new_page()
    batches: dict[str, int] = {}

    def record(request):
        if request.method == "POST" and request.url.endswith("/api/v1/patrol/pings"):
            body = json.loads(request.post_data)
            batches[body["batch_id"]] = len(body["pings"])

    page.on("request", record)
    sign_in(page, live_server, worker.username)
    page.goto(live_server + "/m/#settings")
    page.select_option("#patrol-interval", "5")

    phone.set_offline(True)
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-toggle[aria-pressed=true]")
    page.wait_for_selector("#patrol-status >> text=/巡查中 · 1 点/")
    other = worker.cells[1]
    phone.set_geolocation({"latitude": other.lat, "longitude": other.lng, "accuracy": 12})
    page.wait_for_selector("#patrol-status >> text=/巡查中 · [3-9] 点/", timeout=20_000)
    assert batches == {}

    phone.set_offline(False)
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-status", state="hidden")
    with engine.connect() as conn:
        rows = None
        for _ in range(50):
            rows = conn.execute(
                text("SELECT batch_id::text, points FROM patrol_batch WHERE worker_id = :w"),
                {"w": worker.user_id},
            ).all()
            if sum(r.points for r in rows) == sum(batches.values()) and batches:
                break
            page.wait_for_timeout(200)
        stored = {r.batch_id: r.points for r in rows}
        assert stored == batches
        assert sum(stored.values()) >= 3  # at least what the status showed before stopping
        payloads = conn.execute(
            text(
                "SELECT envelope->'payload' FROM outbox WHERE event_type = 'PatrolPingsReceived' "
                "AND key = :w"
            ),
            {"w": str(worker.user_id)},
        ).scalars()
        points = [p for payload in payloads for p in payload["pings"]]
    # Both places were sent. Points travel with 7 decimals (30.0398607 for 30.039860666…), so
    # they are compared within 1e-6° (~0.1 m): both rounded to 5 places, a random point near a
    # rounding boundary fell on the other side of it (30.04467 against 30.04466).
    for expected in (worker.home.lat, other.lat):
        assert any(abs(p["lat"] - expected) < 1e-6 for p in points), (expected, points)
    assert page.evaluate("navigator.onLine")
