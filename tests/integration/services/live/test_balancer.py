"""Two `gridflow serve` processes behind the load balancer of infra/nginx (scripts/lb): pages
connect over WebSocket and over long polling (sticky: every request of one client reaches the
process holding its session), each receives its events through whichever process holds it,
the balancer's forwarded address is what the per-address cap counts, and when one process
stops its clients come back through the other."""

from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager

import pytest
import requests
import socketio

from tests.processes import ROOT, GridflowProcess, free_port, start_server


@contextmanager
def behind_balancer(name: str, config):
    """(balancer URL, [serve processes], config): two processes with `config` behind
    scripts/lb."""
    servers = [start_server(f"{name}-{k}", config) for k in range(2)]
    port = free_port()
    ports = [url.rsplit(":", 1)[1] for _, url in servers]
    for (proc, _), backend in zip(servers, ports, strict=True):
        proc.port = backend
    lb = subprocess.Popen(
        [str(ROOT / "scripts" / "lb"), "run", str(port), *ports],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert lb.poll() is None, lb.stderr.read().decode()
        assert time.monotonic() < deadline, "the balancer did not answer"
        time.sleep(0.2)
    procs = [proc for proc, _ in servers]
    try:
        yield url, procs, config
    finally:
        lb.terminate()
        lb.wait(timeout=20)
        lb.stderr.close()
        for proc in procs:
            proc.stop()


@pytest.fixture(scope="module")
def balanced(live_config):
    """Two processes that trust the balancer, three sockets per client address."""
    config = live_config.with_(trusted_proxies="127.0.0.0/28", live_max_per_address=3)
    with behind_balancer("live-balanced", config) as running:
        yield running


def eventually(condition, failure: str, timeout_s: float = 10.0) -> None:
    """Waits until `condition()` holds; fails the test with `failure` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def of(case_id):
    return lambda m: m["case"]["id"] == case_id


def test_websocket_and_polling_clients_get_their_events_through_the_balancer(
    balanced, token_of, writer, cells, connect
):
    url, _, _ = balanced
    _, token, _ = token_of("operator", jurisdiction=cells[0].street)
    over_ws = connect(token, url=url)
    over_ws.wait_for("snapshot")
    polling = socketio.Client(reconnection=False)
    got = []
    polling.on("case_events", lambda batch: got.extend(batch))
    snapshots = []
    polling.on("snapshot", lambda s: snapshots.append(s))
    polling.connect(url, auth={"token": token}, transports=["polling"], wait_timeout=10)
    try:
        eventually(lambda: snapshots, "no snapshot over long polling")
        case_id = writer.new_case(cells[0].code)
        over_ws.wait_for("case_event", of(case_id), timeout_s=5)
        eventually(lambda: any(m["case"]["id"] == case_id for m in got),
                   "a polling client behind the balancer got nothing")  # fmt: skip
    finally:
        polling.disconnect()


def test_the_cap_counts_the_forwarded_address_not_the_balancers(balanced):
    url, _, _ = balanced
    handshake = f"{url}/socket.io/?EIO=4&transport=polling"
    # Three from one client address fill its share (the cap is 3 here) …
    for _ in range(3):
        assert requests.get(handshake, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=5).ok
    refused = requests.get(handshake, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=5)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    # … while another client behind the same balancer is let in. (nginx appends the address it
    # saw, 127.0.0.1, which the serve trusts; the client's own is the one before it.)
    assert requests.get(handshake, headers={"X-Forwarded-For": "203.0.113.8"}, timeout=5).ok


def test_clients_of_a_stopped_process_come_back_through_the_other(
    balanced, token_of, writer, cells
):
    url, servers, config = balanced
    _, token, _ = token_of("department_staff", department="sanitation")

    def client() -> tuple[socketio.Client, list, list]:
        sio, dropped, got = socketio.Client(reconnection=False), [], []
        sio.on("disconnect", lambda *_: dropped.append(time.monotonic()))
        sio.on("case_events", lambda batch: got.extend(batch))
        sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        return sio, dropped, got

    first, dropped, _ = client()
    # The first process is restarted, then the second stopped: whichever held the client
    # closes it as it stops (at once, not after the graceful timeout), and the client finds
    # the one left through the balancer.
    port = servers[0].port
    stops = [time.monotonic()]
    servers[0].stop()
    servers[0] = GridflowProcess("live-balanced-0-again", ["serve", "--port", port], config)
    servers[0].wait_for_port(int(port))
    stops.append(time.monotonic())
    servers[1].stop()
    deadline = time.monotonic() + 5
    while not dropped and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dropped, "a stopped process must close its live sockets"
    holder_stopped = max(t for t in stops if t <= dropped[0])
    assert dropped[0] - holder_stopped < 3.0, "closed when the stop began, not at its end"
    first.disconnect()

    again, _, got = client()
    try:
        case_id = writer.new_case(cells[1].code, department="sanitation")
        eventually(lambda: any(m["case"]["id"] == case_id for m in got),
                   "no event through the process left")  # fmt: skip
    finally:
        again.disconnect()


def test_a_handshake_a_full_process_refuses_is_taken_by_the_other(live_config):
    """Sticky routing sends every handshake of one address to one process; when that process
    holds all its sockets, the balancer passes the handshake to the other instead of returning
    the refusal (a client hashed to a full process would otherwise be refused for as long as
    the other process's clients fill it). Only when both are full is the client refused."""
    config = live_config.with_(trusted_proxies="127.0.0.0/28", live_max_clients=2,
                               live_max_per_address=10)  # fmt: skip
    with behind_balancer("live-full", config) as (url, servers, _):
        handshake = "/socket.io/?EIO=4&transport=polling"
        opened = [requests.get(url + handshake, timeout=5) for _ in range(4)]
        assert [r.status_code for r in opened] == [200] * 4
        refused = requests.get(url + handshake, timeout=5)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert refused.json()["error"] == "live_full"
        for server in servers:  # each holds two: its cap
            direct = requests.get(f"http://127.0.0.1:{server.port}{handshake}", timeout=5)
            assert direct.status_code == 503, direct.text
