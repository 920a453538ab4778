"""Accounts for integration tests: create one per role and sign in through the API."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine

from services.auth.users import NewAccount, create_user

PASSWORD = "correct horse battery staple"


def make_user(
    engine: Engine,
    role: str,
    *,
    cells: tuple[str, ...] = (),
    jurisdiction: str | None = None,
    department: str | None = None,
    password: str = PASSWORD,
) -> tuple[int, str]:
    """A fresh account (unique username) of `role`; returns (id, username)."""
    username = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    account = NewAccount(
        username, password, role, username, None, cells, jurisdiction, department
    )  # fmt: skip
    with engine.begin() as conn:
        user_id = create_user(conn, account, development=False)
    return user_id, username


def login(client, username: str, password: str = PASSWORD) -> dict:
    resp = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(client, engine: Engine, role: str, **scope) -> tuple[int, dict[str, str]]:
    """(user id, Authorization header) of a fresh account of `role`."""
    user_id, username = make_user(engine, role, **scope)
    return user_id, bearer(login(client, username)["access_token"])


def tokens_over_http(base_url: str, username: str) -> tuple[str, str]:
    """(access token, refresh token) of `username`, signed in through a served app's API."""
    import requests

    resp = requests.post(
        f"{base_url}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["access_token"], body["refresh_token"]
