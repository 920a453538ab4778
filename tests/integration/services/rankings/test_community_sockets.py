"""A community's leader over the live socket: they join their community's room alone, so an
event of a neighbouring community of the same street never reaches them, while the street's
leader gets both; a case outside their community is refused like a missing one."""

from __future__ import annotations

import uuid

from services.live.rooms import Place, rooms_for_place
from tests.integration.services.accounts import signed_in

CELL_A = "330211009001001"  # two communities of one street of the demo district
CELL_B = "330211009002001"


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def test_a_community_leader_receives_their_community_alone(app, engine, client):
    live = app.extensions["gridflow.live"]
    who = {
        "community_a": signed_in(client, engine, "leader", jurisdiction=CELL_A[:12])[1],
        "community_b": signed_in(client, engine, "leader", jurisdiction=CELL_B[:12])[1],
        "street": signed_in(client, engine, "leader", jurisdiction=CELL_A[:9])[1],
    }
    sockets = {name: live.socketio.test_client(app, auth={"token": _token(h)})
               for name, h in who.items()}  # fmt: skip
    try:
        assert all(s.is_connected() for s in sockets.values())
        for s in sockets.values():
            s.get_received()
        for n, cell in enumerate((CELL_A, CELL_B)):
            place = Place(cell, cell[:9], cell[:6], ("sanitation",))
            live.publish_batch("case_events", [({"id": -10 - n, "case": {"id": cell}},
                                                rooms_for_place(place))])  # fmt: skip
        got = {
            name: sorted(m["args"][0][0]["case"]["id"] for m in s.get_received()
                         if m["name"] == "case_events")
            for name, s in sockets.items()
        }  # fmt: skip
        assert got == {"community_a": [CELL_A], "community_b": [CELL_B],
                       "street": [CELL_A, CELL_B]}  # fmt: skip
        ghost = sockets["community_a"].emit("case_detail", {"case_id": str(uuid.uuid4())},
                                            callback=True)  # fmt: skip
        assert ghost == {"error": "not_found", "field": "case_id"}
    finally:
        for s in sockets.values():
            if s.is_connected():
                s.disconnect()
