"""What the phone client's service worker precaches, and the version that names its cache.

The version is a digest of every file the app shell is made of, so changing any of them makes
the service worker script itself change, which is how browsers notice an update.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services import vendor

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# Front-end packages from npm (services.vendor; never from a CDN): URL name → file.
VENDOR = {
    "leaflet.js": vendor.folder("leaflet/dist") / "leaflet-src.esm.js",
    "leaflet.css": vendor.folder("leaflet/dist") / "leaflet.css",
    "socket.io.js": vendor.folder("socket.io-client/dist") / "socket.io.esm.min.js",
}
PREFIX = "/m/"
# Files of the other pages the app shares (URL → file): the datum and tile modules of every map.
SHARED = {
    f"/assets/js/{name}": HERE.parent / "web" / "static" / "js" / name
    for name in ("datum.js", "maptiles.js", "resume.js")
}


@dataclass(frozen=True)
class Shell:
    """The URLs the service worker caches on install, and the digest of their contents."""

    urls: tuple[str, ...]
    version: str


def static_files(root: Path = STATIC) -> list[Path]:
    """Every file under the static folder, in a stable order (hidden files left out)."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.parts)
    )


def digest(parts: Iterable[tuple[str, bytes]]) -> str:
    """A short hex digest over (name, content) pairs; any change to either changes it."""
    h = hashlib.sha256()
    for name, content in parts:
        h.update(name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(content).digest())
    return h.hexdigest()[:16]


def shell(rendered: dict[str, bytes]) -> Shell:
    """The app shell: `rendered` pages (URL → bytes, e.g. the HTML and the manifest), every
    static file and every vendored package that exists on disk."""
    parts: list[tuple[str, bytes]] = sorted(rendered.items())
    for path in static_files():
        url = PREFIX + "static/" + path.relative_to(STATIC).as_posix()
        parts.append((url, path.read_bytes()))
    for name, path in sorted(VENDOR.items()):
        if path.is_file():
            parts.append((PREFIX + "vendor/" + name, path.read_bytes()))
    for url, path in sorted(SHARED.items()):
        parts.append((url, path.read_bytes()))
    return Shell(urls=tuple(url for url, _ in parts), version=digest(parts))
