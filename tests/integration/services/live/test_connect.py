"""Authorization on connect: a valid access token is required, rooms follow the account's scope,
and a token that is revoked or expires ends the connection."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
import socketio

from services.auth.tokens import open_session
from tests.integration.services.accounts import make_user
from tests.integration.services.live.clients import LiveClient, rows, snapshot_cases


@pytest.mark.parametrize("token", [None, "", "not-a-token", "a.b.c"])
def test_connect_without_a_valid_token_is_refused(live_url, token):
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_url, token)


def test_refresh_token_is_not_an_access_token(live_url, token_of):
    _, _, refresh = token_of("operator", jurisdiction="330211001")
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_url, refresh)


def test_snapshot_names_the_principal_and_its_cases(connect, token_of, writer, cells):
    street = cells[0].street
    case_id = writer.new_case(cells[0].code)
    _, token, _ = token_of("operator", jurisdiction=street)
    snapshot = connect(token).wait_for("snapshot")
    assert snapshot["principal"]["jurisdiction_code"] == street
    assert case_id in {c["id"] for c in snapshot_cases(snapshot)}
    assert {"captured", "dispatched", "resolved", "closed", "on_time_rate"} <= set(snapshot["kpis"])
    assert snapshot["kpis"]["dispatched"] >= 1
    assert any(c["cell_code"] == cells[0].code and c["open"] >= 1 for c in rows(snapshot["cells"]))


def test_revoked_token_is_disconnected(connect, token_of, live_url):
    _, token, _ = token_of("operator", jurisdiction="330211001")
    client = connect(token)
    client.wait_for("snapshot")
    resp = requests.post(
        f"{live_url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 204
    assert client.disconnected.wait(5), "a revoked session must lose its live feed"
    assert client.messages("auth_expired")
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_url, token)


def test_expired_token_is_disconnected(connect, live_config, engine):
    user_id, _ = make_user(engine, "operator", jurisdiction="330211001")
    short = live_config.with_(access_token_ttl_s=4)
    with engine.begin() as conn:
        token = open_session(conn, short, user_id).access_token
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    client = connect(token)
    client.wait_for("snapshot")
    alive_for = expires_at - time.time() - 0.5
    assert alive_for > 0, "the connection took longer than the token lived"
    assert not client.disconnected.wait(alive_for), "the feed ended before the token expired"
    assert client.disconnected.wait(5), "an expired token must lose its live feed"
    assert client.messages("auth_expired")


def test_refreshed_token_keeps_the_connection(connect, live_config, engine, live_url):
    user_id, _ = make_user(engine, "operator", jurisdiction="330211001")
    short = live_config.with_(access_token_ttl_s=4)
    with engine.begin() as conn:
        first = open_session(conn, short, user_id)
        second = open_session(conn, live_config, user_id)
    client = connect(first.access_token)
    client.wait_for("snapshot")
    assert client.call("token", {"token": second.access_token}) == {"ok": True}
    expired_at = jwt.decode(first.access_token, options={"verify_signature": False})["exp"]
    assert not client.disconnected.wait(max(0.0, expired_at - time.time()) + 2.0)
