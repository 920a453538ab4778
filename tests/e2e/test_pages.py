"""The served pages open in a real Chromium."""


def test_index_page_opens_in_chromium(page, live_server, screenshot):
    page.goto(live_server + "/")
    assert "gridflow" in page.title()
    assert page.locator("h1").inner_text().startswith("gridflow")
    assert screenshot(page, "index").stat().st_size > 0
