"""gridflow serves the phone client under /m/: the shell, the manifest, the service worker
(scope /m/) and every file the worker caches."""

from __future__ import annotations

import io
import json

from PIL import Image


def test_shell_is_chinese_html_with_manifest_and_a_strict_policy(client):
    resp = client.get("/m/")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert 'rel="manifest" href="/m/manifest.webmanifest"' in html
    assert 'name="viewport"' in html
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_manifest_makes_an_installable_app_scoped_to_m(client):
    resp = client.get("/m/manifest.webmanifest")
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    doc = resp.get_json(force=True)
    assert doc["start_url"] == "/m/" and doc["scope"] == "/m/"
    assert doc["display"] == "standalone" and doc["lang"] == "zh-CN"
    sizes = set()
    for icon in doc["icons"]:
        with client.get(icon["src"]) as got:
            assert got.status_code == 200, icon["src"]
            data = got.data
        if icon["type"] == "image/png":
            with Image.open(io.BytesIO(data)) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
                sizes.add(image.width)
    assert {192, 512} <= sizes


def test_service_worker_is_scoped_to_m_and_lists_a_shell_that_exists(client):
    resp = client.get("/m/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in resp.headers["Cache-Control"]
    source = resp.get_data(as_text=True)
    head = dict(line.split(" = ", 1) for line in source.splitlines()[:2])
    shell = json.loads(head["const SHELL"].rstrip(";"))
    assert "/m/" in shell and "/m/static/js/app.js" in shell
    for url in shell:
        with client.get(url) as got:
            assert got.status_code == 200, url
    assert client.get("/m/sw.js").get_data(as_text=True) == source  # stable between requests


def test_vendored_packages_come_from_node_modules_and_nothing_else(client):
    with client.get("/m/vendor/leaflet.js") as leaflet:
        assert leaflet.status_code == 200 and leaflet.mimetype == "text/javascript"
        assert b"export {" in leaflet.data
    missing = client.get("/m/vendor/..%2Fpackage.json")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
