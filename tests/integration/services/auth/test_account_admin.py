"""Accounts administered through the admin API: list and search, create with a one-time
password, edit role and scope, disable and enable (sessions and sockets cut), reset a password,
a user's own password change, and a bulk import that writes nothing until every row is clean."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import text

from tests.integration.services.accounts import PASSWORD, bearer, login, make_user, signed_in
from tests.integration.services.grid_fixtures import cell_points

USERS = "/api/v1/admin/users"


@pytest.fixture()
def admin(client, engine):
    user_id, headers = signed_in(client, engine, "admin")
    return headers


@pytest.fixture(scope="module")
def cells(engine):
    return [c.code for c in cell_points(engine)]


def _name(prefix: str = "w") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _create(client, admin, cells, **extra):
    body = {"username": _name(), "password": "first-password-1", "role": "grid_worker",
            "cell_codes": cells[:2], "display_name": "王网格"} | extra  # fmt: skip
    resp = client.post(USERS, json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _audit(engine, username: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, action FROM audit_log WHERE subject = :s ORDER BY id"),
            {"s": f"account:{username}"},
        )
        return [tuple(r) for r in rows]


def test_search_by_name_role_and_place_with_last_sign_in(client, engine, admin, cells):
    worker = _create(client, admin, cells)
    found = client.get(USERS, query_string={"q": worker["username"][2:]}, headers=admin).get_json()
    assert [u["username"] for u in found["items"]] == [worker["username"]]
    assert found["items"][0]["cell_codes"] == sorted(cells[:2])
    assert found["items"][0]["last_sign_in"] is None
    assert "grid_worker" in found["roles"] and "admin" in found["roles"]

    login(client, worker["username"], "first-password-1")
    street, other_street = cells[0][:9], cells[-1][:9]
    query = {"q": worker["username"], "role": "grid_worker", "within": street}
    [row] = client.get(USERS, query_string=query, headers=admin).get_json()["items"]
    assert row["last_sign_in"] is not None
    for miss in ({"role": "operator"}, {"within": other_street}):
        answer = client.get(USERS, query_string=query | miss, headers=admin).get_json()
        assert answer["items"] == [], miss

    resp = client.get(USERS, query_string={"role": "mayor"}, headers=admin)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "role"


def test_a_new_account_must_replace_its_one_time_password(client, engine, admin, cells):
    worker = _create(client, admin, cells)
    assert worker["must_change_password"] is True
    first = login(client, worker["username"], "first-password-1")
    assert first["must_change_password"] is True
    me = bearer(first["access_token"])

    change = "/api/v1/auth/password"
    wrong = client.post(change, json={"old_password": "nope-nope-1", "new_password": "x" * 12},
                        headers=me)  # fmt: skip
    weak = client.post(change, json={"old_password": "first-password-1", "new_password": "short"},
                       headers=me)  # fmt: skip
    assert (wrong.status_code, wrong.get_json()["error"]["field"]) == (422, "old_password")
    assert (weak.status_code, weak.get_json()["error"]["field"]) == (422, "new_password")
    ok = client.post(change, json={"old_password": "first-password-1",
                                   "new_password": "my-own-password"}, headers=me)  # fmt: skip
    assert ok.status_code == 204
    assert login(client, worker["username"], "my-own-password")["must_change_password"] is False
    admin_name = client.get("/api/v1/auth/me", headers=admin).get_json()["username"]
    trail = _audit(engine, worker["username"])
    assert trail[0] == (admin_name, "account.insert")
    assert (worker["username"], "account.update") in trail


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cell_codes": ["330211999999999"]}, "cells"),
        ({"password": "short"}, "password"),
        ({"role": "operator", "cell_codes": []}, "jurisdiction"),
        ({"role": "department_staff", "cell_codes": []}, "department"),
        ({"username": "no spaces"}, "username"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(client, admin, cells, change, field):
    body = {"username": _name(), "password": "first-password-1", "role": "grid_worker",
            "cell_codes": cells[:1]} | change  # fmt: skip
    resp = client.post(USERS, json=body, headers=admin)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["field"] == field


def test_edit_moves_the_account_to_its_new_scope(client, engine, admin, cells):
    worker = _create(client, admin, cells)
    token = login(client, worker["username"], "first-password-1")["access_token"]
    body = {"role": "grid_worker", "cell_codes": [cells[3]], "display_name": "李网格"}
    resp = client.put(f"{USERS}/{worker['id']}", json=body, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["cell_codes"] == [cells[3]]
    me = client.get("/api/v1/auth/me", headers=bearer(token)).get_json()
    assert me["cell_codes"] == [cells[3]]

    operator = {"role": "operator", "jurisdiction_code": cells[0][:9]}
    resp = client.put(f"{USERS}/{worker['id']}", json=operator, headers=admin)
    assert resp.get_json()["role"] == "operator"
    assert resp.get_json()["jurisdiction_code"] == cells[0][:9]
    bad = client.put(f"{USERS}/{worker['id']}", json={"role": "operator"}, headers=admin)
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (422, "jurisdiction")
    ghost = client.put(f"{USERS}/{2**31 - 7}", json=body, headers=admin)
    assert (ghost.status_code, ghost.get_json()["error"]["field"]) == (404, "user_id")


def test_disable_cuts_sessions_and_sockets_at_once_enable_lets_in_again(
    app, client, engine, admin, cells
):
    user_id, username = make_user(engine, "grid_worker", cells=tuple(cells[:2]))
    token = login(client, username)["access_token"]
    live = app.extensions["gridflow.live"]
    socket = live.socketio.test_client(app, auth={"token": token})
    try:
        assert socket.is_connected()
        resp = client.post(f"{USERS}/{user_id}/disable", headers=admin)
        assert resp.status_code == 200 and resp.get_json()["active"] is False
        assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
        # The socket is due for its check at once, not after live_auth_check_s (15 s): the
        # watch of a serving process (every 0.2 s) cuts it in its next round.
        cut = [c for c in live.clients.check_due(engine) if c.client.principal.user_id == user_id]
        assert [c.principal for c in cut] == [None]
    finally:
        socket.disconnect()
    refused = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert refused.status_code == 401
    assert client.post(f"{USERS}/{user_id}/enable", headers=admin).get_json()["active"] is True
    login(client, username)
    me = client.get("/api/v1/auth/me", headers=admin).get_json()
    own = client.post(f"{USERS}/{me['user_id']}/disable", headers=admin)
    assert (own.status_code, own.get_json()["error"]["field"]) == (422, "user_id")


def test_reset_gives_a_one_time_password_and_ends_sessions(client, engine, admin, cells):
    user_id, username = make_user(engine, "grid_worker", cells=tuple(cells[:1]))
    token = login(client, username)["access_token"]
    resp = client.post(f"{USERS}/{user_id}/password", headers=admin)
    assert resp.status_code == 200
    one_time = resp.get_json()["password"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    old = {"username": username, "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=old).status_code == 401
    assert login(client, username, one_time)["must_change_password"] is True


def _sheet(rows: list[str]) -> bytes:
    return ("username,display_name,role,cells,jurisdiction,password\n" + "\n".join(rows)).encode()


def _import(client, admin, data: bytes, name: str = "roster.csv", commit: bool = True):
    form = {"file": (io.BytesIO(data), name), "commit": str(commit).lower()}
    return client.post(
        f"{USERS}/import", headers=admin, content_type="multipart/form-data", data=form
    )


def test_import_shows_every_bad_row_and_writes_nothing_until_clean(client, engine, admin, cells):
    good, typo, clash = _name(), _name(), _name()
    rows = [
        f"{good},张三,grid_worker,{cells[0]};{cells[1]},,",
        f"{typo},李四,grid_worker,33021100100,,",
        f"{clash},王五,operator,,,",
    ]
    preview = _import(client, admin, _sheet(rows), commit=False)
    assert preview.status_code == 200
    assert [(e["line"], e["field"]) for e in preview.get_json()["errors"]] == [
        (3, "cells"), (4, "jurisdiction")]  # fmt: skip
    refused = _import(client, admin, _sheet(rows))
    assert refused.status_code == 422 and refused.get_json()["committed"] is False
    assert len(refused.get_json()["errors"]) == 2
    found = client.get(USERS, query_string={"q": good}, headers=admin).get_json()["items"]
    assert found == []

    rows[1] = f"{typo},李四,grid_worker,{cells[2]},,"
    rows[2] = f"{clash},王五,operator,,{cells[0][:9]},"
    done = _import(client, admin, _sheet(rows))
    assert done.status_code == 200, done.get_json()
    created = {c["username"]: c["password"] for c in done.get_json()["created"]}
    assert set(created) == {good, typo, clash}
    assert login(client, clash, created[clash])["must_change_password"] is True
    again = _import(client, admin, _sheet(rows[:1]))
    assert again.get_json()["errors"][0]["field"] == "username"


def test_import_reads_xlsx_and_refuses_what_is_no_sheet(client, admin, cells):
    from openpyxl import Workbook

    book = Workbook()
    name = _name()
    book.active.append(["username", "role", "cells"])
    book.active.append([name, "grid_worker", cells[0]])
    buf = io.BytesIO()
    book.save(buf)
    done = _import(client, admin, buf.getvalue(), "roster.xlsx")
    assert done.status_code == 200, done.get_json()
    assert [c["username"] for c in done.get_json()["created"]] == [name]
    bad = _import(client, admin, b"not a workbook", "roster.xlsx")
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (422, "file")
    nohead = _import(client, admin, b"name,cells\nx,1\n")
    assert (nohead.status_code, nohead.get_json()["error"]["field"]) == (422, "file")
    missing = client.post(f"{USERS}/import", headers=admin, data={})
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (400, "file")
