"""The live sockets' gate: caps per process and address, the bound on transports still being
connected, the sign-in timeout, and whose address counts behind a trusted proxy."""

from __future__ import annotations

from services.config import Config
from services.live.admission import Admission, client_address, trusted_networks


def gate(**settings) -> tuple[Admission, list[str]]:
    closed: list[str] = []
    return Admission(Config().with_(**settings), closed.append), closed


def env(address: str = "198.51.100.1", forwarded: str | None = None) -> dict:
    environ = {"REMOTE_ADDR": address}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    return environ


def test_the_process_cap_and_the_address_cap_refuse_with_their_own_codes():
    admission, _ = gate(live_max_clients=3, live_max_per_address=2)
    admission.opened("a", env("198.51.100.1"))
    admission.opened("b", env("198.51.100.1"))
    assert admission.refusal("198.51.100.1")[:2] == ("429 Too Many Requests", "live_address_full")
    assert admission.refusal("198.51.100.2") is None
    admission.opened("c", env("198.51.100.2"))
    assert admission.refusal("198.51.100.3")[:2] == ("503 Service Unavailable", "live_full")
    admission.closed("a")
    assert admission.refusal("198.51.100.1") is None


def test_transports_still_connecting_never_refuse_a_new_one():
    """However many wait for their turn, a handshake within the caps is let in: refusing it
    would bring it back, again and again, at its backoff's pace."""
    admission, _ = gate(live_max_clients=10_000, live_max_per_address=10_000)
    for i in range(5_000):
        admission.opened(f"t{i}", env())
    assert admission.refusal("198.51.100.9") is None
    assert admission.open_count() == 5_000


def test_transports_that_never_sign_in_are_closed_after_the_timeout():
    admission, closed = gate(live_connect_timeout_s=10.0)
    admission.opened("quiet", env())
    admission.opened("signed", env())
    admission.signed_in("signed")
    opened_at = admission._open["quiet"].opened
    assert admission.sweep(now=opened_at + 9.9) == [] and closed == []
    assert admission.sweep(now=opened_at + 10.0) == ["quiet"] and closed == ["quiet"]


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy():
    trusted = trusted_networks("127.0.0.1, 10.0.0.0/8")
    assert client_address(env("203.0.113.5", "198.51.100.7"), trusted) == "203.0.113.5"
    assert client_address(env("127.0.0.1", "198.51.100.7"), trusted) == "198.51.100.7"
    # A client's own X-Forwarded-For is not believed: the nearest untrusted hop counts.
    chain = "6.6.6.6, 198.51.100.7, 10.1.2.3"
    assert client_address(env("127.0.0.1", chain), trusted) == "198.51.100.7"
    assert client_address(env("127.0.0.1", "198.51.100.7"), ()) == "127.0.0.1"


def test_handshakes_wait_their_turn_until_earlier_transports_sign_in():
    """Two handshakes at once: a third waits while both transports are still unsigned, is
    refused (503 live_busy) when no place frees in time, and goes through once one signs in;
    a transport that closes unsigned frees its place too."""
    admission = Admission(
        Config().with_(live_max_per_address=100), lambda sid: None,
        handshakes_at_once=2, handshake_wait_s=0.05,
    )  # fmt: skip
    opened: list[str] = []

    def engineio(environ, start_response):  # opens a transport, as Engine.IO's handshake does
        sid = f"t{len(opened)}"
        admission.opened(sid, dict(environ))  # a copy, as Flask-SocketIO's middleware hands on
        opened.append(sid)
        start_response("200 OK", [])
        return [b"0{}"]

    gate = admission.wrap(engineio)

    def handshake() -> str:
        answer: list[str] = []
        gate({"PATH_INFO": "/socket.io/", "REMOTE_ADDR": "198.51.100.1"},
             lambda status, headers: answer.append(status))  # fmt: skip
        return answer[0]

    assert handshake() == "200 OK" and handshake() == "200 OK"
    assert handshake().startswith("503") and len(opened) == 2
    admission.signed_in("t0")
    assert handshake() == "200 OK" and opened == ["t0", "t1", "t2"]
    assert handshake().startswith("503")
    admission.closed("t1")
    assert handshake() == "200 OK"
    # Signed in or closed, a place is given back once: t0 signing in again frees nothing.
    admission.signed_in("t0")
    assert handshake().startswith("503")
