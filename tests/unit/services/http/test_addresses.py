"""The client's address behind trusted proxies."""

import pytest

from services.http.addresses import TrustedProxies, client_address, trusted_networks

BALANCER = trusted_networks("10.0.0.0/8, 192.168.1.10")


def environ(peer: str, forwarded: str | None = None) -> dict:
    found = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        found["HTTP_X_FORWARDED_FOR"] = forwarded
    return found


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(environ("203.0.113.5", "1.2.3.4"), ()) == "203.0.113.5"


def test_an_untrusted_peer_cannot_name_the_client():
    assert client_address(environ("203.0.113.5", "1.2.3.4"), BALANCER) == "203.0.113.5"


def test_the_nearest_untrusted_hop_behind_the_balancer_is_the_client():
    # the client wrote "1.2.3.4" itself; the balancer appended the address it saw
    seen = environ("10.1.2.3", "1.2.3.4, 198.51.100.7, 192.168.1.10")
    assert client_address(seen, BALANCER) == "198.51.100.7"
    assert client_address(environ("10.1.2.3"), BALANCER) == "10.1.2.3"
    assert client_address(environ("10.1.2.3", "not-an-address"), BALANCER) == "10.1.2.3"


def test_the_middleware_makes_remote_addr_the_clients():
    seen = {}

    def app(env, start_response):
        seen.update(env)
        return []

    TrustedProxies(app, BALANCER)(environ("10.0.0.1", "198.51.100.7"), None)
    assert seen["REMOTE_ADDR"] == "198.51.100.7" and seen["gridflow.peer_addr"] == "10.0.0.1"


def test_a_bad_entry_is_named():
    with pytest.raises(ValueError, match="balancer"):
        trusted_networks("10.0.0.0/8, balancer")
