"""The pages gridflow serves to people: the command center (`/`), the department console
(`/console`), the leaders' rankings (`/kpi`), the video wall (`/screen`), the administration
(`/admin`) and the own password change (`/password`), their static files, and the front-end
packages from npm (`/vendor/…`, see services.vendor; no CDN is needed or reachable).

Every page response carries a Content-Security-Policy: scripts and styles only from gridflow
itself, images also from the configured tile servers, connections only back to gridflow. A page
with a map reads its tiles from its `gridflow-tiles` meta (`tile_settings`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from services import vendor
from services.config import Config
from services.http.errors import NotFound

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

# URL prefix under /vendor/ → npm folder (services.vendor); only these are served.
VENDOR = {
    "leaflet": vendor.folder("leaflet/dist"),
    "socket.io": vendor.folder("socket.io-client/dist"),
    "echarts": vendor.folder("echarts/dist"),
    "geoman": vendor.folder("@geoman-io/leaflet-geoman-free/dist"),
    "markercluster": vendor.folder("leaflet.markercluster/dist"),
    "heat": vendor.folder("leaflet.heat/dist"),
}
VENDOR_SUFFIXES = (".js", ".css", ".png", ".svg", ".map")


def _config() -> Config:
    return current_app.extensions["gridflow"].config


def tile_settings(config: Config) -> dict[str, Any]:
    """What a page's map needs of the tiles: URL template, datum (`gcj02` or `wgs84`, the one
    every overlay is drawn in), {s} subdomains, attribution with the review number (审图号),
    the annotation layer over them and the key for {tk}."""
    attribution = " ".join(t for t in (config.tile_attribution, config.tile_approval) if t)
    return {
        "url": config.tile_url, "crs": config.tile_crs, "subdomains": config.tile_subdomains,
        "attribution": attribution, "labels": config.tile_labels_url, "key": config.tile_key,
    }  # fmt: skip


def tile_policy(config: Config) -> str:
    """The page policy allowing the images of both tile layers."""
    return content_security_policy(config.tile_url, config.tile_labels_url)


def tile_origin(tile_url: str) -> str | None:
    """The CSP source for a tile URL template. A first host label holding the `{s}`
    subdomain (`{s}.tile.example.org`, AMap's `webrd0{s}.is.autonavi.com`) becomes the
    wildcard CSP allows there (`*.is.autonavi.com`); any other placeholder in the host, or
    `{s}` deeper in it, gives no source (the browser then blocks the tiles)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    first, _, rest = parts.netloc.partition(".")
    if "{s}" in first and rest:
        first = "*"
    host = f"{first}.{rest}" if rest else first
    if "{" in host:
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(*tile_urls: str) -> str:
    """The policy of every page: nothing inline, nothing from elsewhere but map tiles."""
    origins = dict.fromkeys(tile_origin(url) for url in tile_urls)
    images = " ".join(s for s in ("'self'", "data:", "blob:", *origins) if s)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@bp.after_request
def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = tile_policy(_config())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def command_center():
    return render_template("command.html", tiles=tile_settings(_config()))


@bp.get("/console")
def department_console():
    return render_template("console.html")


@bp.get("/kpi")
def rankings_page():
    return render_template("kpi.html")


@bp.get("/screen")
def big_screen():
    return render_template("screen.html", tiles=tile_settings(_config()))


@bp.get("/admin")
def admin_home():
    """The administration pages (the page itself is public; every call it makes is admins
    only, and it shows nothing but a refusal to any other role)."""
    return render_template("admin.html", tiles=tile_settings(_config()))


@bp.get("/password")
def own_password():
    """Every role's own password change."""
    return render_template("password.html")


@bp.get("/vendor/<path:name>")
def vendor(name: str):
    package, _, rest = name.partition("/")
    folder = VENDOR.get(package)
    if folder is None or not rest.endswith(VENDOR_SUFFIXES):
        raise NotFound(f"no vendored file {name!r}", field="name")
    if not (folder / rest).is_file():
        raise NotFound(f"{name!r} is not installed: run ./scripts/setup (npm ci)", field="name")
    return send_from_directory(folder, rest, max_age=3600)
