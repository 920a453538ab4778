"""The rankings page (/kpi) in Chromium: the hand-worked fixture's district drills down to its
street and its communities, a column header sorts the table both ways, the charts draw from
the locally served ECharts, the district's notices are listed with a printable page, and the
English switch relabels the table (a read-only leader of the district signed in)."""

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


def test_the_ranking_page_sorts_and_drills_down(page, live_server, engine, config, screenshot):
    write_fixture(engine)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _, username = account(engine, "leader", jurisdiction=DISTRICT)  # read-only, this district
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
    # Best score first: community B (100.00) before community A (64.00).
    assert _codes(page) == [COMMUNITY_B, COMMUNITY_A]
    scores = page.eval_on_selector_all("#ranking tbody tr[data-code] td:nth-child(3)",
                                       "cells => cells.map(c => c.textContent)")  # fmt: skip
    assert scores == ["100.00", "64.00"]
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

    _notices_are_listed_and_print(page, engine, config)

    page.click("#lang")
    assert page.locator("#ranking thead th").nth(2).inner_text().startswith("Score")
    assert screenshot(page, "kpi-ranking").stat().st_size > 0
    assert errors == []


def _notices_are_listed_and_print(page, engine, config) -> None:
    """The street's notice of March is listed; its printable page opens in a new tab."""
    from datetime import UTC, datetime

    from streams.scheduler import notices_job

    notices_job(engine, config, clock=lambda: datetime(2026, 4, 2, 3, tzinfo=UTC))
    page.reload()
    _wait_loaded(page, "street")
    page.wait_for_selector("#notices li[data-notice-id]")
    titles = page.eval_on_selector_all("#notices li span", "s => s.map(x => x.textContent)")
    assert any(STREET in t and "月度督办通报" in t for t in titles), titles
    item = page.locator("#notices li", has_text=f"{STREET}月度督办通报").first
    with page.context.expect_page() as opened:
        item.locator("button[data-format=html]").click()
    printable = opened.value
    printable.wait_for_load_state()
    assert "总体情况" in printable.locator("body").inner_text()
    printable.close()


def test_grid_workers_ranked_sorted_and_exported(page, live_server, engine, tmp_path):
    """The district leader picks 网格员: the fixture's two workers with their reports filed,
    sorted by a click on 上报数 both ways, and the same table downloaded as XLSX."""
    from openpyxl import load_workbook

    write_fixture(engine)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _, username = account(engine, "leader", jurisdiction=DISTRICT)
    page.goto(f"{live_server}/kpi?level=district&period=month&date=2026-03-15")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    _wait_loaded(page, "district")
    page.select_option("#level", "worker")
    _wait_loaded(page, "worker")
    assert page.locator("#level option[value=worker]").inner_text() == "网格员"
    assert _codes(page) == ["rk-worker-1", "rk-worker-2"]
    scores = page.eval_on_selector_all("#ranking tbody tr[data-code] td:nth-child(3)",
                                       "cells => cells.map(c => c.textContent)")  # fmt: skip
    assert scores == ["80.00", "58.50"]
    names = page.eval_on_selector_all("#ranking tbody tr[data-code] td:nth-child(2)",
                                      "cells => cells.map(c => c.textContent)")  # fmt: skip
    assert names == ["王网格", "李网格"]
    filed = page.locator("#ranking thead th[data-key='filed']")
    assert filed.inner_text() == "上报数"
    keys = page.eval_on_selector_all("#ranking thead th", "t => t.map(x => x.dataset.key)")
    column = keys.index("filed") + 1
    shown = page.eval_on_selector_all(f"#ranking tbody tr[data-code] td:nth-child({column})",
                                      "cells => cells.map(c => c.textContent)")  # fmt: skip
    assert shown == ["4", "3"]
    filed.click()  # most reports first
    page.wait_for_function("() => location.search.includes('sort=filed')")
    assert _codes(page) == ["rk-worker-1", "rk-worker-2"]
    filed.click()  # the other way round
    page.wait_for_function(
        "() => document.querySelector('#ranking tbody tr[data-code]').dataset.code"
        " === 'rk-worker-2'"
    )
    with page.expect_download() as downloading:
        page.click("#export")
    path = tmp_path / "workers.xlsx"
    downloading.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("排名", "代码", "网格员")
    assert [row[1:3] for row in rows[3:]] == [
        ("rk-worker-2", "李网格"), ("rk-worker-1", "王网格"), (None, "合计 Total")]  # fmt: skip
    assert errors == []
