"""Where the front-end packages from npm (the map, the Socket.IO client) are read from.

In a checkout they are in `node_modules/` (npm ci, run by ./scripts/setup); setup also copies
the folders gridflow serves into `services/vendor/`, which is package data: a `pip install .`
(not editable) or a built wheel carries them, and site-packages has no node_modules beside it.
The packaged copy is used when present, the checkout's node_modules otherwise.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "vendor"
CHECKOUT = Path(__file__).resolve().parents[1] / "node_modules"
# The npm folders gridflow serves (relative to node_modules); setup copies exactly these.
SERVED = (
    "leaflet/dist",
    "socket.io-client/dist",
    "echarts/dist",
    "@geoman-io/leaflet-geoman-free/dist",
    "leaflet.markercluster/dist",
    "leaflet.heat/dist",
)


def root() -> Path:
    """The folder holding the served npm folders: the packaged copy, else node_modules."""
    return PACKAGED if all((PACKAGED / folder).is_dir() for folder in SERVED) else CHECKOUT


def folder(name: str) -> Path:
    """One served npm folder, e.g. folder("leaflet/dist")."""
    return root() / name
