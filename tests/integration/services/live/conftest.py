"""Fixtures of the live tests: a real `gridflow serve` process, accounts, cases."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.integration.services.accounts import PASSWORD, make_user
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.cases import CaseWriter
from tests.integration.services.live.clients import LiveClient
from tests.integration.services.live.isolated import own_stack
from tests.processes import GridflowProcess, free_port


@pytest.fixture(scope="session")
def live_config(config):
    """A database and topics of their own (see isolated.py); tokens are re-checked twice a
    second, so revocation shows quickly."""
    with own_stack(config, "live") as own:
        yield own.with_(live_auth_check_s=0.5)


@pytest.fixture(scope="session")
def engine(live_config):
    """The live tests' own database (overrides the run's shared one in this folder)."""
    from services.store.db import make_engine

    own = make_engine(live_config.database_url)
    yield own
    own.dispose()


def start_server(name: str, live_config) -> tuple[GridflowProcess, str]:
    port = free_port()
    server = GridflowProcess(name, ["serve", "--port", str(port)], live_config)
    server.wait_for_port(port)
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_url(live_config):
    server, url = start_server("live-serve", live_config)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cells(engine):
    """Six cells of the demo grid: five in one street, the last in another."""
    return cell_points(engine)


@pytest.fixture()
def writer(live_config, engine):
    w = CaseWriter(live_config, engine)
    yield w
    w.close()


@pytest.fixture()
def token_of(live_url, engine):
    """token_of(role, **scope) → (user id, access token, refresh token) of a fresh account."""

    def _make(role: str, **scope):
        user_id, username = make_user(engine, role, **scope)
        resp = requests.post(
            f"{live_url}/api/v1/auth/login",
            json={"username": username, "password": PASSWORD},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return user_id, body["access_token"], body["refresh_token"]

    return _make


@pytest.fixture()
def connect(live_url):
    """connect(token, last_event_id=None, url=None) → a LiveClient closed after the test."""
    opened: list[LiveClient] = []

    def _connect(token: str, last_event_id: int | None = None, url: str | None = None):
        client = LiveClient(url or live_url, token, last_event_id)
        opened.append(client)
        return client

    yield _connect
    # A polite WebSocket close waits up to 3 s for the server's close frame: close in parallel.
    closing = [threading.Thread(target=c.close) for c in opened]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(timeout=10)
