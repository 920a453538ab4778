"""Headers every response carries: a Content-Security-Policy (the pages set their own, looser
one; everything else — JSON, photos, documents — may run nothing and load nothing), no MIME
sniffing, no referrer, no framing."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# In the order they are added; a response that sets one itself keeps its own.
SECURITY_HEADERS = (
    ("Content-Security-Policy", API_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
_BY_LOWER_NAME = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def init_security_headers(app: Flask) -> None:
    """Adds the headers to every response of `app` that does not set them itself."""

    @app.after_request
    def _secure(response: Response) -> Response:
        # One pass over the response's headers (a `setdefault` each would scan them four times).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        for lower, name, value in _BY_LOWER_NAME:
            if lower not in present:
                headers.add(name, value)
        return response


def inline_policy(html: str) -> str:
    """The policy of a self-contained page: its own inline scripts and styles (by hash) and
    requests to this origin, nothing else."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    scripts = " ".join(hashes["script"]) or "'none'"
    styles = " ".join(hashes["style"]) or "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {scripts}",
            f"style-src {styles}",
            "connect-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
