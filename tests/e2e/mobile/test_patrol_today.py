"""The phone's patrol of today: on the map view the worker sees their track and their cells
shaded by today's coverage, with the day's figures, and both follow the live feed."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from tests.e2e.mobile.conftest import sign_in
from tests.integration.patrol_tracks import line, today_start


def _fold_and_tell(engine, config, worker_id: int, pings: list[dict]) -> None:
    """Applies the pings as `gridflow patrol` does and publishes what changed for the map."""
    from services.patrol.aggregate import Aggregator, points_of
    from streams.kafka import make_producer
    from streams.patrol import publisher

    rows = points_of({"worker_id": worker_id, "pings": pings}, ZoneInfo(config.timezone))
    folded = Aggregator(engine, config).apply(rows)
    producer = make_producer(config, client_id="e2e-patrol-today")
    try:
        publisher(producer, config)(folded)
        producer.flush(timeout=10)
    finally:
        producer.close(timeout=5)


def test_the_worker_sees_their_track_and_cells_covered_today_live(
    phone, live_server, worker, engine, config, phone_shot
):
    from streams.topics import ensure_topics

    if ensure_topics(config):
        time.sleep(2.5)  # running servers look for new topics every 2 s
    home = worker.home
    start = today_start()
    walk = line((home.lat, home.lng - 0.0008), (home.lat, home.lng), start)
    _fold_and_tell(engine, config, worker.user_id, walk)

    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.goto(live_server + "/m/#map")
    today = page.locator("#patrol-today")
    today.wait_for(state="visible", timeout=10_000)
    assert "公里" in today.inner_text()
    page.wait_for_selector("path.patrol-track", state="attached", timeout=10_000)
    page.wait_for_selector(f"path.patrol-cell-{home.code}.covered", state="attached")
    first = float(today.get_attribute("data-share"))
    assert first > 0

    # more of the cell walked: the phone hears it from the live feed and shows it
    more = line((home.lat + 0.0004, home.lng), (home.lat + 0.0004, home.lng - 0.0008),
                start.__class__.fromisoformat(walk[-1]["t"]))  # fmt: skip
    _fold_and_tell(engine, config, worker.user_id, more[1:])
    page.wait_for_function(
        "(share) => Number(document.querySelector('#patrol-today').dataset.share) > share",
        arg=first, timeout=20_000,
    )  # fmt: skip
    phone_shot(page, "phone-patrol-today")
