"""Fixtures of the live tests: a real `gridflow serve` process, accounts, cases."""

from __future__ import annotations

import threading

import pytest

from tests.integration.services.accounts import make_user, tokens_over_http
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.cases import CaseWriter
from tests.integration.services.live.clients import LiveClient
from tests.integration.services.live.isolated import own_engine, own_stack
from tests.processes import serving


@pytest.fixture(scope="session")
def live_config(config):
    """A database and topics of their own (see isolated.py); tokens are re-checked twice a
    second, so revocation shows quickly."""
    with own_stack(config, "live") as own:
        yield own.with_(live_auth_check_s=0.5)


@pytest.fixture(scope="session")
def engine(live_config):
    """The live tests' own database (overrides the run's shared one in this folder)."""
    with own_engine(live_config) as own:
        yield own


@pytest.fixture(scope="session")
def live_url(live_config):
    with serving("live-serve", live_config) as url:
        yield url


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
        return (user_id, *tokens_over_http(live_url, username))

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
