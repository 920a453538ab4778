"""Every way in besides the JSON API's routes, each with who may use it: the Open311 routes
(the public's reads, an API key's writes) and the live server's Socket.IO events. The tests
fail when a route or an event appears that is not listed here."""

from __future__ import annotations

PUBLIC_READ, KEY = "anyone may read (published requests only)", "a valid api_key"

OPEN311 = {
    ("open311.discovery", "GET"): PUBLIC_READ,
    ("open311.services", "GET"): PUBLIC_READ,
    ("open311.service_definition", "GET"): PUBLIC_READ,
    ("open311.list_requests", "GET"): PUBLIC_READ,
    ("open311.get_request", "GET"): PUBLIC_READ,
    ("open311.token", "GET"): PUBLIC_READ,
    ("open311.create_request", "POST"): KEY,
}

# The reporter's side, without an account (services/api/tracking.py): what the public may see
# of a request that came by a public channel, and nothing of any other.
TRACKING = {
    ("tracking.photo", "GET"): "anyone: the after-photo of a public request, unless withheld",
    ("tracking.lookup_page", "GET"): "anyone: the lookup form",
    ("tracking.lookup", "POST"): "anyone holding a public request's number and phone digits",
    ("tracking.track", "GET"): "the holder of a public request's token",
    ("tracking.rate", "POST"): "the holder of a public request's token, once, after closure",
}

SOCKET_EVENTS = {
    "connect": "a valid access token with a scope; the snapshot holds that scope only",
    "disconnect": "the caller's own connection",
    "summary": "the caller's scope",
    "case_detail": "a case of the caller's scope; any other answers as a missing one",
    "token": "the caller's own session, renewed",
}
