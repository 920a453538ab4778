"""A map tile server for the page tests: 256-px Web-Mercator tiles, white, with a "street
crossing" drawn where a known WGS84 point lies in the tiles' datum (GCJ-02 tiles put it where
AMap would, WGS84 tiles where Tianditu or OSM would). Label layers (a path with `cva` in it)
are transparent. It records the host and query of every tile asked for."""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from geo.datum import from_wgs84

TILE = 256
ARM = 40  # half the length of each street of a crossing, in pixels


def world_pixel(lat: float, lng: float, zoom: int) -> tuple[float, float]:
    """(x, y) of a point in the Web-Mercator pixel space of `zoom` (what Leaflet projects)."""
    size = TILE * 2**zoom
    sin = math.sin(math.radians(lat))
    x = (lng + 180.0) / 360.0 * size
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


@dataclass
class Crossing:
    """A street crossing at a WGS84 point, drawn in `colour` (RGB)."""

    lat: float
    lng: float
    colour: tuple[int, int, int]


@dataclass
class Tiles:
    """What the server draws (crossings, in the datum `crs`) and what it was asked for."""

    crs: str
    crossings: list[Crossing]
    asked: list[tuple[str, str, dict]] = field(default_factory=list)  # (host, path, query)

    def png(self, path: str) -> bytes:
        parts = [p for p in path.split("/") if p]
        z, x, y = (int(v) for v in (parts[-3], parts[-2], parts[-1].split(".")[0]))
        labels = any("cva" in p for p in parts)
        image = Image.new("RGBA", (TILE, TILE), (0, 0, 0, 0) if labels else (255, 255, 255, 255))
        if not labels:
            for c in self.crossings:
                px, py = world_pixel(*from_wgs84(c.lat, c.lng, self.crs), z)
                cx, cy = math.floor(px) - x * TILE, math.floor(py) - y * TILE
                for d in range(-ARM, ARM + 1):
                    for ix, iy in ((cx + d, cy), (cx, cy + d)):
                        if 0 <= ix < TILE and 0 <= iy < TILE:
                            image.putpixel((ix, iy), (*c.colour, 255))
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()


@contextmanager
def tile_server(tiles: Tiles) -> Iterator[int]:
    """Serves `tiles` on a free port of 127.0.0.1 for the block; yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            url = urlsplit(self.path)
            tiles.asked.append((self.headers.get("Host", ""), url.path, parse_qs(url.query)))
            try:
                body = tiles.png(url.path)
            except (ValueError, IndexError):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
