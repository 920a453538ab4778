"""Helpers of the live-page tests: accounts, signing in on a page, reading the ticker."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.integration.services.accounts import PASSWORD, make_user

# Pixels the page's canvas of `selector` has drawn (alpha > 0): what the user sees of it.
PAINTED = """selector => {
  const canvas = document.querySelector(selector);
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted;
}"""
HEAT_CANVAS = "#map canvas.leaflet-heatmap-layer"


def account(engine: Engine, role: str, **scope) -> tuple[int, str]:
    """A fresh account of `role`: (user id, username)."""
    return make_user(engine, role, **scope)


def sign_in(page, base_url: str, path: str, username: str) -> None:
    """Opens `path`, signs in through the page's form and waits for the live connection."""
    page.goto(base_url + path)
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#connection.online", timeout=10_000)


def ticker_ids(page) -> list[int]:
    """The case-event ids shown in the command center's ticker, top (newest) first."""
    return [
        int(x)
        for x in page.eval_on_selector_all(
            "#ticker li[data-event-id]", "items => items.map(i => i.dataset.eventId)"
        )
    ]


def fresh_point(engine: Engine, street: str) -> tuple[str, float, float]:
    """(cell code, lat, lng): a random point in a current cell of `street` with no open
    verification task, among those with the fewest reports, and farther than any category's
    duplicate radius from every open case (a case of a neighbouring cell may lie within it), so
    reports of different tests are not taken for duplicates of each other and no earlier test's
    task shows up in this one."""
    from sqlalchemy import text

    from services.store.cases.groups import open_sql

    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT code, ST_Y(p) AS lat, ST_X(p) AS lng FROM (SELECT c.code, "
                "(ST_Dump(ST_GeneratePoints(ST_Buffer(c.geom::geography, -15)::geometry, 4))).geom "
                "AS p, (SELECT count(*) FROM report r WHERE r.cell_code = c.code) AS reports "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "AND v.valid_to IS NULL WHERE c.code LIKE :street || '%' "
                "AND ST_Area(c.geom::geography) > 20000 AND NOT EXISTS (SELECT 1 FROM "
                "verification_task t WHERE t.cell_code = c.code AND t.status = 'open')) t "
                "WHERE NOT EXISTS (SELECT 1 FROM case_file k WHERE "
                f"{open_sql('k')} AND k.geom IS NOT NULL "
                "AND ST_DWithin(k.geom::geography, t.p::geography, "
                "(SELECT max(duplicate_radius_m) + 20 FROM category))) "
                "ORDER BY reports, random() LIMIT 1"
            ),
            {"street": street},
        ).one()
    return row.code.strip(), row.lat, row.lng
