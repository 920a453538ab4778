"""Signing in, refreshing, logging out, and what a bad token gets."""

import time

import jwt

from services.auth.tokens import _key
from tests.integration.services.accounts import PASSWORD, bearer, login, make_user

CELL = "330211001002015"


def test_login_returns_a_short_lived_token_pair_that_identifies_the_account(client, engine):
    user_id, username = make_user(engine, "grid_worker", cells=(CELL,))
    tokens = login(client, username)
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in"}
    assert 0 < tokens["expires_in"] <= 3600
    me = client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.get_json() == {
        "user_id": user_id,
        "username": username,
        "role": "grid_worker",
        "cell_codes": [CELL],
        "jurisdiction_code": None,
        "department_code": None,
    }


def test_password_is_stored_as_an_argon2_hash(engine):
    from sqlalchemy import text

    user_id, _ = make_user(engine, "admin")
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM app_user WHERE id = :id"), {"id": user_id}
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_password_and_unknown_user_get_the_same_401(client, engine):
    _, username = make_user(engine, "admin")
    wrong = client.post("/api/v1/auth/login", json={"username": username, "password": "nope-nope"})
    nobody = client.post("/api/v1/auth/login", json={"username": "nobody-x", "password": "x" * 9})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.get_json() == nobody.get_json()


def test_login_body_errors_name_the_field(client):
    resp = client.post("/api/v1/auth/login", json={"username": "someone"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["field"] == "password"
    resp = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "body"


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_session(client, engine):
    _, username = make_user(engine, "operator", jurisdiction="330211")
    first = login(client, username)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    fresh = second.get_json()
    assert client.get("/api/v1/auth/me", headers=bearer(fresh["access_token"])).status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # the replay revoked the session: the rotated tokens stop working too
    assert client.get("/api/v1/auth/me", headers=bearer(fresh["access_token"])).status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 401


def test_logout_revokes_access_and_refresh_tokens_at_once(client, engine):
    _, username = make_user(engine, "department_staff", department="sanitation")
    tokens = login(client, username)
    headers = bearer(tokens["access_token"])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    resp = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert resp.status_code == 401


def test_expired_forged_and_missing_tokens_get_401_with_a_challenge(client, engine, config):
    user_id, username = make_user(engine, "admin")
    tokens = login(client, username)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    expired = dict(claims, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    forged = dict(claims)
    cases = {
        "expired": jwt.encode(expired, _key(config), algorithm="HS256"),
        "forged": jwt.encode(forged, b"x" * 32, algorithm="HS256"),
        "refresh as access": tokens["refresh_token"],
        "garbage": "abc.def.ghi",
    }
    for name, token in cases.items():
        resp = client.get("/api/v1/auth/me", headers=bearer(token))
        assert resp.status_code == 401, name
        assert resp.get_json()["error"]["code"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_disabled_account_loses_its_live_tokens(client, engine):
    from sqlalchemy import text

    user_id, username = make_user(engine, "admin")
    headers = bearer(login(client, username)["access_token"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET active = false WHERE id = :id"), {"id": user_id})
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_well_known_passwords_are_refused_outside_development(client, engine):
    from sqlalchemy import text

    from services.auth.passwords import hash_password

    user_id, username = make_user(engine, "admin")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE app_user SET password_hash = :h WHERE id = :id"),
            {"h": hash_password("demo"), "id": user_id},
        )
    resp = client.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
    assert resp.status_code == 401
    assert "development" in resp.get_json()["error"]["message"]


def test_failed_logins_slow_that_name_from_that_address_down(config, make_app, engine):
    app = make_app(config.with_(trusted_proxies="127.0.0.1"))
    client = app.test_client()
    _, username = make_user(engine, "admin")

    def attempt(password: str, address: str):
        return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                           headers={"X-Forwarded-For": address})  # fmt: skip

    statuses = [attempt("wrong-pass", "203.0.113.7").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and 429 in statuses[5:]
    refused = attempt(PASSWORD, "203.0.113.7")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # the user, from anywhere else, is not locked out
    assert attempt(PASSWORD, "198.51.100.20").status_code == 200


def test_random_names_from_one_address_do_not_lock_out_the_city(config, make_app, engine):
    """Behind the load balancer (a trusted proxy) each client is counted at its own address."""
    app = make_app(config.with_(trusted_proxies="127.0.0.1/32", login_rate_per_minute=1))
    client = app.test_client()
    _, username = make_user(engine, "admin")
    for i in range(15):
        client.post("/api/v1/auth/login", json={"username": f"nobody-{i}", "password": "guess-x"},
                    headers={"X-Forwarded-For": "203.0.113.9"})  # fmt: skip
    ok = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                     headers={"X-Forwarded-For": "198.51.100.30"})  # fmt: skip
    assert ok.status_code == 200, ok.get_json()
