"""Rooms: a client joins only its scope's rooms, and an event goes only to the rooms of its
place and department."""

from services.auth.principal import Principal
from services.live.queries import rooms_of
from services.live.rooms import Place, rooms_for_place, rooms_for_principal, worker_rooms

CELL_A = "330211001002003"
CELL_B = "330211002001001"


def principal(role, **scope):
    return Principal(1, "someone", role, **scope)


def test_each_role_joins_its_scope():
    assert rooms_for_principal(principal("admin")) == ["all"]
    assert rooms_for_principal(principal("operator", jurisdiction_code="330211")) == [
        "district:330211"
    ]
    assert rooms_for_principal(principal("operator", jurisdiction_code="330211001")) == [
        "street:330211001"
    ]
    assert rooms_for_principal(principal("operator", jurisdiction_code="330211001002")) == [
        "community:330211001002"
    ]
    assert rooms_for_principal(principal("leader", jurisdiction_code="330211001")) == [
        "street:330211001"
    ]
    assert rooms_for_principal(principal("leader", jurisdiction_code="330211001002")) == [
        "community:330211001002"
    ]
    assert rooms_for_principal(principal("department_staff", department_code="water")) == [
        "dept:water"
    ]
    worker = principal("grid_worker", cell_codes=frozenset({CELL_B, CELL_A}))
    assert rooms_for_principal(worker) == [f"cell:{CELL_A}", f"cell:{CELL_B}", "account:1"]


def test_a_principal_without_scope_joins_nothing():
    assert rooms_for_principal(principal("operator")) == []
    assert rooms_for_principal(principal("operator", jurisdiction_code="3302")) == []
    assert rooms_for_principal(principal("leader")) == []
    assert rooms_for_principal(principal("leader", jurisdiction_code="330211001002003")) == []
    assert rooms_for_principal(principal("department_staff")) == []
    assert rooms_for_principal(principal("grid_worker")) == []


def test_an_event_goes_to_its_place_and_department_only():
    rooms = rooms_for_place(Place(cell_code=CELL_A, department_codes=("water",)))
    assert rooms == ["all", "district:330211", "street:330211001", "community:330211001002",
                     f"cell:{CELL_A}", "dept:water"]  # fmt: skip
    street_b_operator = rooms_for_principal(principal("operator", jurisdiction_code="330211002"))
    assert not set(rooms) & set(street_b_operator)
    other_community = rooms_for_principal(principal("leader", jurisdiction_code="330211001001"))
    assert not set(rooms) & set(other_community)


def test_a_case_event_reaches_the_department_it_left():
    message = {
        "case": {"cell_code": CELL_A, "department_code": "greening"},
        "detail": {"department_code": "greening", "previous_department_code": "water"},
    }
    rooms = rooms_of(message)
    assert "dept:greening" in rooms and "dept:water" in rooms
    assert rooms.count("dept:greening") == 1


def test_an_event_outside_every_cell_still_reaches_its_district():
    rooms = rooms_for_place(Place(district_code="330211"))
    assert rooms == ["all", "district:330211"]


def test_worker_positions_go_to_center_rooms_not_to_cells_or_departments():
    assert worker_rooms([CELL_A, CELL_B]) == [
        "all",
        "district:330211",
        "street:330211001",
        "community:330211001002",
        "street:330211002",
        "community:330211002001",
    ]
    assert worker_rooms([]) == ["all"]
