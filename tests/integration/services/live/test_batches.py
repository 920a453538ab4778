"""Live case events go out in batches: what one read of the feed brought reaches each client as
one `case_events` packet holding the messages for its rooms, in order; a client none of them is
for gets no packet."""

from __future__ import annotations

import time

import pytest

from services.app import create_app
from services.live.rooms import Place, rooms_for_place


@pytest.fixture()
def live_app(live_config):
    """The API app in this process, its feed not started: the test publishes by hand."""
    app = create_app(live_config)
    yield app
    app.extensions["gridflow.live"].close()
    gf = app.extensions["gridflow"]
    gf.locator.close()
    gf.engine.dispose()


def _connected(client, timeout_s: float = 5.0) -> None:
    """Waits for what a connect sends: the snapshot, then the replay (read by a thread of the
    server after the connect, on a connection of the app's pool)."""
    names: list[str] = []
    deadline = time.monotonic() + timeout_s
    while "replay" not in names:
        assert time.monotonic() < deadline, f"no replay after the connect: {names}"
        names += [m["name"] for m in client.get_received()]
        time.sleep(0.01)
    assert names[0] == "snapshot"


def _packets(client) -> list[list[dict]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == "case_events"]


def test_one_packet_per_client_with_its_messages_in_order(live_app, token_of, cells):
    street_a, street_b = cells[0].street, cells[-1].street
    tokens = {
        "street a": token_of("operator", jurisdiction=street_a)[1],
        "street b": token_of("operator", jurisdiction=street_b)[1],
        "district": token_of("operator", jurisdiction=cells[0].district)[1],
        "greening": token_of("department_staff", department="greening")[1],
    }
    live = live_app.extensions["gridflow.live"]
    clients = {
        who: live.socketio.test_client(live_app, auth={"token": token})
        for who, token in tokens.items()
    }
    try:
        assert all(c.is_connected() for c in clients.values())
        for client in clients.values():
            _connected(client)

        def rooms(cell) -> list[str]:
            return rooms_for_place(Place(cell.code, cell.street, cell.district, ("sanitation",)))

        live.publish_batch(
            "case_events",
            [
                ({"id": 1}, rooms(cells[0])),
                ({"id": 2}, rooms(cells[-1])),
                ({"id": 3}, rooms(cells[1])),
            ],
        )
        got = {who: _packets(c) for who, c in clients.items()}
        assert got == {
            "street a": [[{"id": 1}, {"id": 3}]],
            "street b": [[{"id": 2}]],
            "district": [[{"id": 1}, {"id": 2}, {"id": 3}]],
            "greening": [],
        }
    finally:
        for client in clients.values():
            if client.is_connected():
                client.disconnect()
