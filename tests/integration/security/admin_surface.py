"""The objects and bodies of the administration's rows in the authorization matrix: an
account of its own, a fresh account's or a roster's body, a category's unchanged terms, the
catalog as exported, a small grid of a district of its own."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

from tests.integration.security.world import STREET_A, Thing, World


def account(world: World) -> Thing:
    from tests.integration.services.accounts import make_user

    cell = world.cases.fresh_cell(STREET_A)
    user_id, username = make_user(world.engine, "grid_worker", cells=(cell,))
    return Thing(report_id="", cell=cell, reporter={}, extra={"user_id": user_id,
                                                               "username": username})  # fmt: skip


def user_id(thing: Thing) -> dict:
    return {"user_id": thing.extra["user_id"]}


def new_account(world: World, thing: Thing | None, who: str) -> dict:
    return {"username": f"m-{uuid.uuid4().hex[:10]}", "password": "matrix-password-1",
            "role": "grid_worker", "cell_codes": [world.cases.fresh_cell(STREET_A)]}  # fmt: skip


def roster(world: World, thing: Thing | None, who: str) -> dict:
    cell = world.cases.fresh_cell(STREET_A)
    sheet = f"username,role,cells\nm-{uuid.uuid4().hex[:10]},grid_worker,{cell}\n"
    return {"file": (io.BytesIO(sheet.encode()), "roster.csv"), "commit": "false"}


def same_terms(world: World, thing: Thing | None, who: str) -> dict:
    items = world.api.get("/api/v1/admin/categories", headers=world.headers["admin"]).get_json()
    row = next(c for c in items["items"] if c["code"] == "102007")
    keys = ("name_zh", "name_en", "priority", "ack_limit_minutes", "resolve_limit_minutes",
            "around_the_clock", "community_admissible", "duplicate_radius_m",
            "duplicate_window_minutes")  # fmt: skip
    return {k: row[k] for k in keys}


def same_catalog(world: World, thing: Thing | None, who: str) -> dict:
    text = world.api.get("/api/v1/admin/categories/export", headers=world.headers["admin"])
    return {"file": (io.BytesIO(text.get_data()), "categories.yaml")}


def grid_file(world: World, thing: Thing | None, who: str) -> dict:
    from tests.integration.geo.conftest import new_district, spot
    from tests.unit.geo.grids import two_by_two

    district = new_district()
    doc = two_by_two(district, origin=spot(district)).encode()
    return {"file": (io.BytesIO(doc), "grid.geojson"), "commit": "false"}


def small_grid(world: World) -> Thing:
    from geo.importer import import_grid
    from tests.integration.geo.conftest import new_district, spot
    from tests.unit.geo.grids import STEP, two_by_two

    district = new_district()
    lat0, lng0 = spot(district)
    import_grid(world.engine, two_by_two(district, origin=(lat0, lng0)))
    middle = lng0 + STEP / 2
    line = [[middle, lat0 - 0.001], [middle, lat0 + STEP + 0.001]]
    edge = lng0 + STEP * 1.25  # the first cell's east edge, moved into its neighbour
    edge_line = [[edge, lat0 - 0.001], [edge, lat0 + STEP + 0.001]]
    return Thing(report_id="", cell=f"{district}001001001", reporter={},
                 extra={"line": line, "edge": edge_line})  # fmt: skip


def is_account(**expected) -> Callable[[World, Thing | None, object], bool]:
    def check(world: World, thing: Thing | None, resp) -> bool:
        body = resp.get_json()
        return body["id"] == thing.extra["user_id"] and all(
            body[k] == v for k, v in expected.items()
        )

    return check
