"""An account whose password was reset (or is new) may do nothing with its one-time password
but sign out, read who it is and replace the password: the server refuses everything else,
its API calls and its live socket, until the password is replaced — then all works again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.services.accounts import bearer, login, make_user, signed_in
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.handling.loop import cell_point

CHANGE = "/api/v1/auth/password"


def _report(engine, cell: str) -> dict:
    lat, lng = cell_point(engine, cell)
    return {
        "id": str(uuid.uuid4()), "category": "201001", "description": "路灯不亮",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }  # fmt: skip


def _refused(resp) -> bool:
    body = resp.get_json(silent=True) or {}
    return resp.status_code == 403 and body["error"]["code"] == "password_change_required"


def test_a_reset_account_can_do_nothing_but_change_its_password(app, client, engine):
    cell = cell_points(engine)[0].code
    user_id, username = make_user(engine, "grid_worker", cells=(cell,))
    _, admin = signed_in(client, engine, "admin")
    one_time = client.post(f"/api/v1/admin/users/{user_id}/password", headers=admin).get_json()
    session = login(client, username, one_time["password"])
    assert session["must_change_password"] is True
    me = bearer(session["access_token"])
    live = app.extensions["gridflow.live"]

    # Before: every other call is refused with the same clear code, nothing is written.
    report = _report(engine, cell)
    assert _refused(client.post("/api/v1/reports", json=report, headers=me))
    assert _refused(client.get("/api/v1/me/reports", headers=me))
    assert _refused(client.get("/api/v1/me/tasks", headers=me))
    assert _refused(client.get("/api/v1/categories", headers=me))
    assert client.get(f"/api/v1/reports/{report['id']}", headers=admin).status_code == 404
    socket = live.socketio.test_client(app, auth={"token": session["access_token"]})
    assert not socket.is_connected()
    # A refreshed token is refused the same way: the state is the account's, not the token's.
    pair = client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    me = bearer(pair.get_json()["access_token"])
    assert _refused(client.get("/api/v1/me/reports", headers=me))
    who = client.get("/api/v1/auth/me", headers=me)
    assert (who.status_code, who.get_json()["username"]) == (200, username)

    new = {"old_password": one_time["password"], "new_password": "my-own-passphrase"}
    changed = client.post(CHANGE, json=new, headers=me)
    assert changed.status_code == 204

    # After: the same token does everything its role allows.
    assert client.post("/api/v1/reports", json=report, headers=me).status_code == 201
    mine = client.get("/api/v1/me/reports", headers=me)
    assert report["id"] in {item["id"] for item in mine.get_json()["items"]}
    assert client.get("/api/v1/me/tasks", headers=me).status_code == 200
    socket = live.socketio.test_client(app, auth={"token": me["Authorization"].split()[1]})
    try:
        assert socket.is_connected()
    finally:
        socket.disconnect()


def test_a_must_change_account_may_sign_out(client, engine):
    user_id, username = make_user(engine, "operator", jurisdiction="330211")
    _, admin = signed_in(client, engine, "admin")
    one_time = client.post(f"/api/v1/admin/users/{user_id}/password", headers=admin).get_json()
    me = bearer(login(client, username, one_time["password"])["access_token"])
    assert client.post("/api/v1/auth/logout", headers=me).status_code == 204
    assert client.get("/api/v1/auth/me", headers=me).status_code == 401
