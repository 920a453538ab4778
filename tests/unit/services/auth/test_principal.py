"""Who may see what, by role and place."""

from services.auth.principal import Principal, can_see_cell, jurisdiction_filter

CELL = "330211001002015"
OTHER_DISTRICT_CELL = "330212001002015"


def test_worker_sees_only_own_cells():
    worker = Principal(1, "w", "grid_worker", cell_codes=frozenset({CELL}))
    assert can_see_cell(worker, CELL, CELL[:12], CELL[:9], CELL[:6])
    assert not can_see_cell(worker, "330211001002016", CELL[:12], CELL[:9], CELL[:6])
    assert not can_see_cell(worker, None, None, None, CELL[:6])


def test_operator_sees_their_district_or_street_including_points_outside_cells():
    district_op = Principal(2, "o", "operator", jurisdiction_code="330211")
    street_op = Principal(3, "s", "operator", jurisdiction_code="330211002")
    assert can_see_cell(district_op, CELL, district_code="330211")
    assert can_see_cell(district_op, None, district_code="330211")
    assert not can_see_cell(district_op, OTHER_DISTRICT_CELL, district_code="330212")
    assert not can_see_cell(street_op, CELL, CELL[:12], CELL[:9], CELL[:6])
    assert can_see_cell(street_op, "330211002001001", street_code="330211002")


def test_admin_sees_all_and_department_staff_nothing_by_place():
    assert can_see_cell(Principal(4, "a", "admin"), OTHER_DISTRICT_CELL)
    assert not can_see_cell(Principal(5, "d", "department_staff", department_code="x"), CELL)


def test_sql_filter_follows_the_same_rules():
    assert jurisdiction_filter(Principal(4, "a", "admin"))[0] == "TRUE"
    sql, params = jurisdiction_filter(Principal(2, "o", "operator", jurisdiction_code="330211002"))
    assert sql == "street_code = :scope_code" and params == {"scope_code": "330211002"}
    worker = Principal(1, "w", "grid_worker", cell_codes=frozenset({CELL}))
    sql, params = jurisdiction_filter(worker)
    assert params == {"scope_cells": [CELL]}
    assert jurisdiction_filter(Principal(5, "d", "department_staff"))[0] == "FALSE"


def test_community_operators_and_leaders_see_their_community_only():
    for role in ("operator", "leader"):
        mine = Principal(6, "c", role, jurisdiction_code=CELL[:12])
        assert can_see_cell(mine, CELL, CELL[:12], CELL[:9], CELL[:6])
        assert can_see_cell(mine, None, CELL[:12], CELL[:9], CELL[:6])
        neighbour = "330211001003001"
        assert not can_see_cell(mine, neighbour, neighbour[:12], neighbour[:9], neighbour[:6])
        assert not can_see_cell(mine, None, None, CELL[:9], CELL[:6])
        sql, params = jurisdiction_filter(mine)
        assert sql == "community_code = :scope_code" and params == {"scope_code": CELL[:12]}


def test_a_leader_is_bound_to_a_place_like_an_operator():
    leader = Principal(7, "l", "leader", jurisdiction_code="330211")
    assert leader.place_code == "330211"
    assert can_see_cell(leader, CELL, district_code="330211")
    assert not can_see_cell(leader, OTHER_DISTRICT_CELL, district_code="330212")
    staff = Principal(8, "d", "department_staff", jurisdiction_code="330211", department_code="x")
    assert staff.place_code is None
