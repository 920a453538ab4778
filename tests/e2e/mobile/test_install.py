"""The phone client is an installable app: Chromium finds nothing missing in its manifest and
service worker, and the worker's scope is /m/."""

from __future__ import annotations

from tests.e2e.mobile.conftest import sign_in, wait_until


def test_chromium_finds_the_app_installable(phone, live_server, worker):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    scope = wait_until(
        page, "navigator.serviceWorker.getRegistration().then(r => r && r.active && r.scope)"
    )
    assert scope == live_server + "/m/"
    cdp = phone.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A Playwright context is an incognito profile, where nothing can be installed at all.
    assert [e for e in errors if e["errorId"] != "in-incognito"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == live_server + "/m/manifest.webmanifest"
    assert manifest["errors"] == []
