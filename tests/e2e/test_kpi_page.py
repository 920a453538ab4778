"""The rankings page (/kpi) in Chromium: the hand-worked fixture's district drills down to its
street and its communities, a column header sorts the table both ways, the charts draw from
the locally served ECharts, and the English switch relabels the table."""

from __future__ import annotations

from tests.e2e.live_pages import account
from tests.integration.services.accounts import PASSWORD
from tests.integration.services.rankings.fixture import (
    COMMUNITY_A,
    COMMUNITY_B,
    DISTRICT,
    STREET,
    write_fixture,
)


def _codes(page) -> list[str]:
    return page.eval_on_selector_all(
        "#ranking tbody tr[data-code]", "rows => rows.map(r => r.dataset.code)"
    )


def _wait_loaded(page, level: str) -> None:
    page.wait_for_function(
        "level => (document.body.dataset.loaded || '').startsWith(level + ':')", arg=level
    )


def test_the_ranking_page_sorts_and_drills_down(page, live_server, engine, screenshot):
    write_fixture(engine)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _, username = account(engine, "admin")
    page.goto(f"{live_server}/kpi?level=district&period=month&date=2026-03-15&within={DISTRICT}")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    _wait_loaded(page, "district")
    assert _codes(page) == [DISTRICT]
    assert page.locator("#period-shown").inner_text() == "2026-03-01 — 2026-03-31"
    assert page.locator("#ranking thead th").nth(4).inner_text().startswith("结案率")

    page.click(f"#ranking tbody tr[data-code='{DISTRICT}']")
    _wait_loaded(page, "street")
    assert _codes(page) == [STREET]
    page.click(f"#ranking tbody tr[data-code='{STREET}']")
    _wait_loaded(page, "community")
    # Best score first: community B (90.00) before community A (63.00).
    assert _codes(page) == [COMMUNITY_B, COMMUNITY_A]
    scores = page.eval_on_selector_all("#ranking tbody tr[data-code] td:nth-child(3)",
                                       "cells => cells.map(c => c.textContent)")  # fmt: skip
    assert scores == ["90.00", "63.00"]
    assert "within=" + STREET in page.url

    page.click("#ranking thead th[data-key='rework_rate']")  # best first: least rework
    page.wait_for_function("() => location.search.includes('sort=rework_rate')")
    page.wait_for_function(
        "code => document.querySelector('#ranking tbody tr[data-code]').dataset.code === code",
        arg=COMMUNITY_B,
    )
    page.click("#ranking thead th[data-key='rework_rate']")  # the other way round
    page.wait_for_function(
        "code => document.querySelector('#ranking tbody tr[data-code]').dataset.code === code",
        arg=COMMUNITY_A,
    )
    assert _codes(page) == [COMMUNITY_A, COMMUNITY_B]
    assert page.locator("#score-chart canvas").count() == 1
    page.wait_for_selector("#trend-chart canvas")

    page.click(f"#crumbs button[data-code='{DISTRICT}']")  # back up to the streets
    _wait_loaded(page, "street")
    assert _codes(page) == [STREET]

    page.click("#lang")
    assert page.locator("#ranking thead th").nth(2).inner_text().startswith("Score")
    assert screenshot(page, "kpi-ranking").stat().st_size > 0
    assert errors == []
