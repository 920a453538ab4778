"""The client's address behind trusted proxies (GRIDFLOW_TRUSTED_PROXIES).

Behind a load balancer the peer of every connection is the balancer; the client's address
is the one the balancer appended to X-Forwarded-For. Only a peer listed as trusted may say
who the client is: the header is read from its right end, skipping trusted proxies, and the
first address that is not one of them is the client. Without trusted proxies the header is
ignored (anyone can write it).

    networks = trusted_networks("10.0.0.0/8, 192.168.1.10")
    client_address(environ, networks)        # what limits and logs key on
    app.wsgi_app = TrustedProxies(app.wsgi_app, networks)   # REMOTE_ADDR made the client's
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PEER_KEY = "gridflow.peer_addr"


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The networks of a comma-separated list of addresses and CIDR blocks; ValueError
    naming the entry that is neither."""
    networks = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from exc
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(environ: Mapping[str, Any], networks: tuple[Network, ...]) -> str:
    """The address of the client of a WSGI request: the peer (REMOTE_ADDR), or, when the peer
    is a trusted proxy, the nearest address in X-Forwarded-For that is not one."""
    peer = environ.get(PEER_KEY) or environ.get("REMOTE_ADDR") or ""
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop if _is_address(hop) else peer
    return hops[0] if hops else peer


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR becomes `client_address` (the peer is kept under
    `gridflow.peer_addr`), so every reader of `request.remote_addr` sees the client."""

    def __init__(self, app: Callable, networks: tuple[Network, ...]):
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        environ.setdefault(PEER_KEY, environ.get("REMOTE_ADDR", ""))
        environ["REMOTE_ADDR"] = client_address(environ, self.networks)
        return self.app(environ, start_response)
