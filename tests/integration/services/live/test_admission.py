"""Admission to the live sockets of a real `gridflow serve`: a bare transport is closed when it
does not sign in, a refused CONNECT closes its transport, the process's and an address's caps
refuse new handshakes cleanly (503 / 429 with Retry-After), and at its cap the process still
answers HTTP at once."""

from __future__ import annotations

import http.client
import json
import time

import pytest
import requests
import websocket

from tests.integration.services.accounts import bearer
from tests.integration.services.capture.payloads import report_body
from tests.processes import serving

MAX_CLIENTS = 6
PER_ADDRESS = 3
# Long enough that the cap test's handshakes, sign-in and report (seconds on a loaded host)
# are done before the sweep frees its transports' places.
CONNECT_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def gated_url(live_config):
    """A serve process with small caps and a short sign-in timeout."""
    gated = live_config.with_(
        live_max_clients=MAX_CLIENTS,
        live_max_per_address=PER_ADDRESS,
        live_connect_timeout_s=CONNECT_TIMEOUT_S,
    )
    with serving("live-gated", gated) as url:
        yield url


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def handshake(url: str, source: str = "127.0.0.1") -> tuple[int, dict[str, str], str]:
    """An Engine.IO polling handshake from `source` (a loopback address): status, headers and
    body of the answer. An accepted one leaves an open transport on the server."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", _port(url), timeout=5, source_address=(source, 0)
    )
    try:
        conn.request("GET", "/socket.io/?EIO=4&transport=polling")
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def bare_socket(url: str) -> websocket.WebSocket:
    """A WebSocket transport that completes the Engine.IO handshake and nothing more."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{_port(url)}/socket.io/?EIO=4&transport=websocket", timeout=10
    )
    assert ws.recv().startswith("0{")
    return ws


def closed_within(ws: websocket.WebSocket, seconds: float) -> float | None:
    """How long after now the server closed `ws` (None: still open after `seconds`). Pings
    are answered meanwhile, as a client would."""
    start = time.monotonic()
    ws.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return time.monotonic() - start
        if frame == "2":
            ws.send("3")
        elif frame in ("1", ""):  # Engine.IO CLOSE, or the close frame itself
            return time.monotonic() - start
    return None


def test_a_bare_transport_that_never_signs_in_is_closed(gated_url):
    ws = bare_socket(gated_url)
    try:
        took = closed_within(ws, CONNECT_TIMEOUT_S + 3)
    finally:
        ws.close()
    assert took is not None, "a transport without a CONNECT must not stay open"
    assert took >= CONNECT_TIMEOUT_S - 0.3


def test_the_default_sign_in_timeout_is_ten_seconds():
    from services.config import Config

    assert Config().live_connect_timeout_s == 10.0


def test_a_refused_connect_closes_its_transport(gated_url):
    ws = bare_socket(gated_url)
    try:
        ws.send('40{"token":"not-a-token"}')
        ws.settimeout(5)
        answer = ws.recv()
        assert answer.startswith("44"), answer  # CONNECT_ERROR
        assert json.loads(answer[2:])["data"]["code"] == "unauthorized"
        took = closed_within(ws, 3)
    finally:
        ws.close()
    assert took is not None and took < 3, "the refused transport must be closed at once"


def test_caps_refuse_new_handshakes_cleanly_and_http_still_answers(gated_url, token_of, cells):
    # The module's other tests leave nothing open: each closes its own transports.
    for source in ("127.0.0.1",) * PER_ADDRESS:
        assert handshake(gated_url, source)[0] == 200
    status, headers, body = handshake(gated_url, "127.0.0.1")
    assert status == 429 and headers["retry-after"].isdigit()
    assert json.loads(body)["error"] == "live_address_full"
    # Other addresses may still open until the process is full.
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert handshake(gated_url, source)[0] == 200
    status, headers, body = handshake(gated_url, "127.0.0.5")
    assert status == 503 and int(headers["retry-after"]) > 0
    assert json.loads(body)["error"] == "live_full"
    # At its cap the process answers HTTP as before, at once.
    _, token, _ = token_of("grid_worker", cells=(cells[0].code,))
    started = time.monotonic()
    assert requests.get(f"{gated_url}/healthz", timeout=1).status_code == 200
    report = requests.post(
        f"{gated_url}/api/v1/reports",
        json=report_body(cells[0], category="104003"),
        headers=bearer(token),
        timeout=1,
    )
    assert report.status_code in (201, 202), report.text
    assert time.monotonic() - started < 2.0
    # A WebSocket beyond the cap is refused at its upgrade, at once, not hung.
    started = time.monotonic()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        bare_socket(gated_url)
    assert refused.value.status_code == 503 and time.monotonic() - started < 2.0
    # The polling transports above never signed in: the sweep frees their places.
    deadline = time.monotonic() + CONNECT_TIMEOUT_S + 5
    while handshake(gated_url, "127.0.0.6")[0] != 200:
        assert time.monotonic() < deadline, "unsigned transports must be closed and counted out"
        time.sleep(0.3)
