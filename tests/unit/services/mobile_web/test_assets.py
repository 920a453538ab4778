"""The phone client's shell: what the service worker caches and how its version moves."""

from __future__ import annotations

from services.mobile_web import assets


def test_digest_changes_with_any_content_or_name():
    base = [("/m/a.js", b"one"), ("/m/b.css", b"two")]
    assert assets.digest(base) == assets.digest(list(base))
    assert assets.digest(base) != assets.digest([("/m/a.js", b"one!"), ("/m/b.css", b"two")])
    assert assets.digest(base) != assets.digest([("/m/c.js", b"one"), ("/m/b.css", b"two")])


def test_shell_lists_pages_every_module_and_the_vendored_packages():
    shell = assets.shell({"/m/": b"<html>", "/m/manifest.webmanifest": b"{}"})
    modules = {p.name for p in (assets.STATIC / "js").glob("*.js")}
    listed = {u.rsplit("/", 1)[1] for u in shell.urls if u.startswith("/m/static/js/")}
    assert modules == listed
    assert {"/m/", "/m/manifest.webmanifest", "/m/static/app.css"} <= set(shell.urls)
    assert {"/m/vendor/leaflet.js", "/m/vendor/socket.io.js"} <= set(shell.urls)
    # the datum and tile modules every map shares
    assert {"/assets/js/datum.js", "/assets/js/maptiles.js", "/assets/js/resume.js"} <= set(
        shell.urls
    )
    assert len(shell.version) == 16


def test_shell_version_follows_the_rendered_pages():
    one = assets.shell({"/m/": b"<html lang=zh>"})
    two = assets.shell({"/m/": b"<html lang=en>"})
    assert one.urls == two.urls
    assert one.version != two.version
