"""The /m/ blueprint: the phone client's HTML shell, manifest, service worker and files.

Everything here is public and static: the data the client shows comes from /api/v1 with the
worker's token. The service worker is served from /m/sw.js, so its scope is /m/ and it controls
only the phone client.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, send_file

from services.mobile_web import assets
from services.web.pages import tile_policy, tile_settings

bp = Blueprint(
    "mobile_web",
    __name__,
    url_prefix="/m",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
MANIFEST = "application/manifest+json"


def _config():
    return current_app.extensions["gridflow"].config


def _index_html() -> str:
    """The shell page; its map draws in the tiles' datum (services.web.pages.tile_settings)."""
    return render_template("mobile/index.html", tiles=tile_settings(_config()))


def _manifest() -> str:
    return render_template("mobile/manifest.webmanifest")


def _shell() -> assets.Shell:
    return assets.shell(
        {
            "/m/": _index_html().encode(),
            "/m/manifest.webmanifest": _manifest().encode(),
        }
    )


@bp.after_request
def secure_headers(response: Response) -> Response:
    """The same policy as the other pages: nothing inline, nothing from elsewhere but tiles."""
    response.headers["Content-Security-Policy"] = tile_policy(_config())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def index() -> Response:
    response = Response(_index_html(), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    response = Response(_manifest(), mimetype=MANIFEST)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker: the shell's URLs and version in front of sw.js."""
    found = _shell()
    head = (
        f"const VERSION = {json.dumps(found.version)};\n"
        f"const SHELL = {json.dumps(list(found.urls))};\n"
    )
    body = (assets.HERE / "sw.js").read_text(encoding="utf-8")
    response = Response(head + body, mimetype="text/javascript")
    # Browsers must always re-check the worker itself; its scope stays /m/.
    response.headers["Cache-Control"] = "no-cache, max-age=0"
    response.headers["Service-Worker-Allowed"] = "/m/"
    return response


@bp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    """A front-end package from node_modules (installed by scripts/setup)."""
    path = assets.VENDOR.get(name)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, max_age=0)
    if name.endswith(".js"):
        response.mimetype = "text/javascript"
    return response
