"""Who may read a report."""

from services.auth.principal import Principal
from services.capture.access import may_see_report

CELL = "330211001002015"


def test_department_staff_see_reports_routed_to_their_department():
    staff = Principal(6, "d", "department_staff", department_code="sanitation")
    routed = {"reporter_id": 1, "cell_code": CELL, "district_code": "330211"}
    assert not may_see_report(staff, routed)
    assert may_see_report(staff, {**routed, "department_code": "sanitation"})
    assert not may_see_report(staff, {**routed, "department_code": "greening"})
    worker = Principal(1, "w", "grid_worker", cell_codes=frozenset({"330211001002016"}))
    assert may_see_report(worker, {**routed, "department_code": "greening"})  # own report
